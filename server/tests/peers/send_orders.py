"""A stand-in EHR that places many orders over one MLLP connection with python-hl7's
client (hl7.client.MLLPClient, not GenoBridge's code): ORM^O01 for accessions
PREFIX-00001 … PREFIX-N, all for SAMPLE, each built as send_order.py builds one. Prints
{"sent": N, "aa": count of AA answers, "other": [the first few other answers],
"no_answer": [accessions that got no ACK within --timeout]} as JSON. After a missing
answer it connects again and goes on, as an EHR's interface engine does.

    send_orders.py --port 2576 --prefix KILL --count 2000 --sample NB6TK328
"""

import argparse
import json
import socket
import sys
import uuid

import hl7
from hl7.client import MLLPClient

from send_order import orm_o01

SB, EB, CR = b"\x0b", b"\x1c", b"\x0d"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--prefix", required=True)
    p.add_argument("--count", type=int, required=True)
    p.add_argument("--sample", required=True)
    p.add_argument("--timeout", type=float, default=30.0)
    args = p.parse_args()
    socket.setdefaulttimeout(args.timeout)
    aa, other, no_answer = 0, [], []
    client = None
    for i in range(1, args.count + 1):
        accession = f"{args.prefix}-{i:05}"
        control_id = "PYORM" + uuid.uuid4().hex[:12].upper()
        try:
            if client is None:
                client = MLLPClient(args.host, args.port)
            reply = client.send_message(orm_o01(accession, args.sample, control_id))
            while reply and not reply.rstrip(CR).endswith(EB):
                more = client.socket.recv(4096)
                if not more:
                    break
                reply += more
            if not reply:
                raise ConnectionError("connection closed without an ACK")
        except (OSError, ConnectionError):
            no_answer.append(accession)
            if client is not None:
                client.close()
            client = None
            continue
        ack = hl7.parse(reply.strip(SB + EB + CR + b"\n").decode("utf-8"))
        code = str(ack.segment("MSA")[1])
        if code == "AA":
            aa += 1
        elif len(other) < 5:
            other.append({"accession": accession, "ack": str(ack)})
    if client is not None:
        client.close()
    print(json.dumps({"sent": args.count, "aa": aa, "other": other, "no_answer": no_answer}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
