"""A stand-in EHR that places one order: sends an ORM^O01 over MLLP with the `hl7`
package's client (python-hl7's hl7.client.MLLPClient, not GenoBridge's code) and prints
the ACK it got back as JSON: {"code": MSA-1, "control_id": MSA-2, "text": MSA-3,
"sent_control_id": MSH-10 of the order}.

The patient is synthetic: no real person's data.

    send_order.py --port 2576 --accession ACC-2026-0042 --sample NB6TK328 [--timeout 20]
"""

import argparse
import json
import socket
import sys
import time
import uuid

import hl7
from hl7.client import MLLPClient

SB, EB, CR = b"\x0b", b"\x1c", b"\x0d"


def orm_o01(accession, sample, control_id):
    """An ORM^O01 (v2.5.1) for a germline panel on `sample`, under `accession`.

    ORM^O01 has no SPM segment, so the specimen is named where GenoBridge looks for it in
    an ORM: OBR-3. The filler order number (ORC-3) is the lab's accession, which ORC-4
    (placer group number) carries too.
    """
    now = time.strftime("%Y%m%d%H%M%S")
    segments = [
        f"MSH|^~\\&|PYEHR|SYNTH-HOSP|GenoBridge|LAB|{now}||ORM^O01^ORM_O01|{control_id}|P|2.5.1",
        "PID|1||SYN-730042^^^SYNTH-HOSP^MR||Synthetic-Testperson^Robin^K||19850614|F",
        "PV1|1|O",
        f"ORC|NW|PL-730042^PYEHR|{accession}^LAB|{accession}|||||{now}",
        f"OBR|1|PL-730042^PYEHR|{sample}^LAB"
        "|GB-HEREDITARY-CANCER^Hereditary cancer and cardiac panel^L"
        f"|||{now}||||||||Blood",
    ]
    return hl7.parse("\r".join(segments))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--accession", required=True)
    p.add_argument("--sample", required=True)
    p.add_argument("--timeout", type=float, default=20.0)
    args = p.parse_args()

    control_id = "PYORM" + uuid.uuid4().hex[:12].upper()
    message = orm_o01(args.accession, args.sample, control_id)
    # Bounds the client's connect and every read: MLLPClient sets no timeout of its own.
    socket.setdefaulttimeout(args.timeout)
    with MLLPClient(args.host, args.port) as client:
        reply = client.send_message(message)
        # send_message returns what one recv() got; read on if the ACK came in pieces.
        while reply and not reply.rstrip(CR).endswith(EB):
            more = client.socket.recv(4096)
            if not more:
                break
            reply += more
    text = reply.strip(SB + EB + CR + b"\n").decode("utf-8")
    if not text:
        print("no ACK: the receiver closed the connection", file=sys.stderr)
        return 1
    ack = hl7.parse(text)
    msa = ack.segment("MSA")
    field = lambda n: str(msa[n]) if len(msa) > n else ""
    print(
        json.dumps(
            {
                "code": field(1),
                "control_id": field(2),
                "text": field(3),
                "sent_control_id": control_id,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
