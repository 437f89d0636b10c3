"""The peer side of `genobridge bench mllp`: python-hl7's MLLP client (hl7.client.
MLLPClient, not GenoBridge's code) sends every message of FILE (one per line, segments
separated by CR) over one connection to HOST:PORT, each waiting for its ACK, nothing
stored. Prints {"messages": N, "seconds": S, "p50_ms": …, "p99_ms": …} as JSON.

    bench_send.py FILE --port 2575
"""

import argparse
import json
import sys
import time

from hl7.client import MLLPClient

EB, CR = b"\x1c", b"\x0d"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    args = p.parse_args()
    # Bytes, split on LF only: the messages' own segment separators are CR.
    with open(args.file, "rb") as f:
        messages = [line.decode("utf-8") for line in f.read().split(b"\n") if line.strip()]
    latencies = []
    start = time.perf_counter()
    with MLLPClient(args.host, args.port) as client:
        for m in messages:
            t0 = time.perf_counter()
            reply = client.send_message(m)
            while reply and not reply.rstrip(CR).endswith(EB):
                reply += client.socket.recv(4096)
            latencies.append(time.perf_counter() - t0)
    seconds = time.perf_counter() - start
    latencies.sort()
    pick = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000
    print(json.dumps({"messages": len(messages), "seconds": seconds,
                      "p50_ms": pick(0.50), "p99_ms": pick(0.99)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
