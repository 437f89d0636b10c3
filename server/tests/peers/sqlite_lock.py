"""Takes the write lock of a SQLite database for a while, as a backup tool or a stuck
process does, with Python's own sqlite3 (not GenoBridge's code): BEGIN EXCLUSIVE, print
`locked`, hold it SECONDS, then COMMIT and print `released`.

    sqlite_lock.py DB SECONDS
"""

import sqlite3
import sys
import time


def main():
    db, seconds = sys.argv[1], float(sys.argv[2])
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    conn.execute("BEGIN EXCLUSIVE")
    print("locked", flush=True)
    time.sleep(seconds)
    conn.execute("COMMIT")
    print("released", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
