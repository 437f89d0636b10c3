"""The peer of `genobridge bench search`: the same searches as plain SQL through Python's
own sqlite3 module, on the same database file, in the same run. It shows the floor for
this schema and these indexes; GenoBridge adds its row mapping and held-by lookups on top.

    sqlite_search_peer.py DB REPORTS   -> {"query name": [p50_ms, p95_ms], ...}
"""

import json
import sqlite3
import sys
import time


def main():
    db, reports = sys.argv[1], int(sys.argv[2])
    con = sqlite3.connect(db)
    base = ("SELECT m.id, m.control_id, m.status, m.destination, r.sample_id FROM messages m "
            "JOIN reports r ON r.id = m.report_pk {} ORDER BY m.id DESC LIMIT 26")
    queries = {
        "newest page": ("", ()),
        "sample": ("WHERE r.sample_id = ?", ("S0042",)),
        "accession": ("WHERE r.accession = ?", (f"ACC-{reports // 3:07}",)),
        "run": ("WHERE r.sample_id IN (SELECT rs.sample_id FROM run_samples rs JOIN runs ru "
                "ON ru.id = rs.run_pk WHERE ru.run_id = ?)", ("RUN-042",)),
        "dead letters": ("WHERE m.status = ?", ("dead_letter",)),
        "LRI pending": ("WHERE m.kind = ? AND m.status = ?", ("lri", "pending")),
        "one day": ("WHERE m.created_at >= ? AND m.created_at <= ?", ("2026-06-15", "2026-06-15~")),
        "MRN": ("WHERE r.order_pk IN (SELECT o.id FROM orders o WHERE o.patient_mrn = ?)",
                (f"SYN-{reports // 2:07}",)),
        "patient name": ("WHERE r.order_pk IN (SELECT o.id FROM orders o WHERE LOWER(o.patient_family) = LOWER(?) "
                         "OR LOWER(o.patient_given || ' ' || o.patient_family) = LOWER(?))", ("synthetic42", "synthetic42")),
        "deep page": ("WHERE m.id < ?", (reports,)),
        "destination+status": ("WHERE m.destination = ? AND m.status = ?",
                               ("ehr.example:2575", "delivered")),
    }
    out = {}
    for name, (where, args) in queries.items():
        sql = base.format(where)
        times = []
        for _ in range(30):
            t = time.perf_counter()
            con.execute(sql, args).fetchall()
            times.append((time.perf_counter() - t) * 1000)
        times.sort()
        out[name] = [round(times[len(times) // 2], 3), round(times[int(round((len(times) - 1) * 0.95))], 3)]
    print(json.dumps(out))


if __name__ == "__main__":
    main()
