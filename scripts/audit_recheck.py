#!/usr/bin/env python3
"""Re-checks a GenoBridge audit export without GenoBridge: Python's standard library only.

    python3 audit_recheck.py EXPORT_DIR

EXPORT_DIR holds manifest.json, events.json and events.csv (`genobridge audit export`).
Checked: each file's SHA-256 against the manifest; the manifest's count, first and last
ids and last hash against the events; every event's hash recomputed from its canonical
form, sha256(utf8(compact JSON array [prev_hash, at, actor, action, subject_kind,
subject_id, detail])); in a contiguous export, each event's prev_hash against the hash of
the event before it; and events.csv against events.json. Prints OK and exits 0, or names
the first problem and exits 1.
"""

import csv
import hashlib
import json
import sys
from pathlib import Path

FIELDS = ["prev_hash", "at", "actor", "action", "subject_kind", "subject_id", "detail"]


def canonical_hash(event):
    text = json.dumps([event[f] for f in FIELDS], separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def main(folder):
    root = Path(folder)
    manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    for name, want in manifest["files"].items():
        got = hashlib.sha256((root / name).read_bytes()).hexdigest()
        if got != want:
            return f"{name}: SHA-256 {got}, the manifest says {want}"
    events = json.loads((root / "events.json").read_text(encoding="utf-8"))
    if len(events) != manifest["events"]:
        return f"events.json holds {len(events)} events, the manifest says {manifest['events']}"
    if events:
        ends = (events[0]["id"], events[-1]["id"], events[-1]["hash"])
        said = (manifest["first_id"], manifest["last_id"], manifest["last_hash"])
        if ends != said:
            return f"first id, last id and last hash are {ends}, the manifest says {said}"
    before = None
    for e in events:
        if canonical_hash(e) != e["hash"]:
            return f"event {e['id']}: its content hashes to {canonical_hash(e)}, not its hash {e['hash']}"
        if manifest["contiguous"] and before is not None:
            if e["id"] != before["id"] + 1:
                return f"event {e['id']} follows event {before['id']}: events are missing"
            if e["prev_hash"] != before["hash"]:
                return f"event {e['id']}: prev_hash {e['prev_hash']} is not the hash of event {before['id']}"
        before = e
    with open(root / "events.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    if len(rows) != len(events):
        return f"events.csv holds {len(rows)} rows, events.json {len(events)}"
    for row, e in zip(rows, events):
        if any(row[k] != str(e[k]) for k in ["id", "hash", "prev_hash", "detail", "at", "actor", "action"]):
            return f"events.csv row for event {row['id']} differs from events.json"
    span = f"ids {events[0]['id']}-{events[-1]['id']}" if events else "no events"
    print(f"OK: {len(events)} events ({span}), every hash recomputed"
          + (", every link checked" if manifest["contiguous"] else "")
          + f"; files match the manifest; chain head at export {manifest['chain_head']}")
    return None


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    problem = main(sys.argv[1])
    if problem:
        print(f"FAILED: {problem}")
        sys.exit(1)
