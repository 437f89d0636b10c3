"""A stand-in for a chat or paging service's incoming webhook, for alert tests: Python's
own http.server (not GenoBridge's code). Every POST body is appended to LOG as one line
(bodies are one-line JSON), flushed before the 200 answer.

It binds 127.0.0.1 on an ephemeral port, prints `listening PORT` on stdout, and stops by
itself after --lifetime seconds, so it never outlives a test that died.

    webhook_log.py LOG [--lifetime 600]
"""

import argparse
import http.server
import sys
import threading


def main():
    p = argparse.ArgumentParser()
    p.add_argument("log")
    p.add_argument("--lifetime", type=float, default=600.0)
    args = p.parse_args()
    log = open(args.log, "a", encoding="utf-8")
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length).decode("utf-8").replace("\n", " ")
            with lock:
                log.write(body + "\n")
                log.flush()
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    threading.Timer(args.lifetime, server.shutdown).start()
    server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
