"""A stand-in EHR inbound interface: hl7apy's MLLP server (hl7apy.mllp.MLLPServer, not
GenoBridge's code). It takes ORU^R01 results, writes each one it receives to
OUT_DIR/NNN.hl7 (segments on separate lines), and answers AA; anything else gets AR.

It binds an ephemeral port on 127.0.0.1, prints `listening PORT` on stdout, and stops by
itself after --lifetime seconds, so it never outlives a test that died.

    ehr_receiver.py OUT_DIR [--lifetime 300]
"""

import argparse
import os
import sys
import threading
import uuid

from hl7apy.core import Message
from hl7apy.mllp import AbstractErrorHandler, AbstractHandler, MLLPServer
from hl7apy.parser import parse_message

LOCK = threading.Lock()
OUT_DIR = "."


def ack(incoming, code, text=""):
    """An ACK naming the received message's control id (MSA-2), built with hl7apy."""
    control_id = ""
    try:
        control_id = parse_message(incoming, find_groups=False).msh.msh_10.to_er7()
    except Exception:  # the ACK of an unreadable message names none
        pass
    m = Message("ACK", version="2.5.1")
    m.msh.msh_3 = "PYEHR"
    m.msh.msh_4 = "SYNTH-HOSP"
    m.msh.msh_9 = "ACK^R01^ACK"
    m.msh.msh_10 = "PYACK" + uuid.uuid4().hex[:12].upper()
    m.msh.msh_11 = "P"
    m.msa.msa_1 = code
    m.msa.msa_2 = control_id
    if text:
        m.msa.msa_3 = text[:80]
    return m.to_mllp()


def keep(message):
    with LOCK:
        n = len([f for f in os.listdir(OUT_DIR) if f.endswith(".hl7")]) + 1
        tmp = os.path.join(OUT_DIR, f"{n:03}.tmp")
        with open(tmp, "w", encoding="utf-8") as f:
            f.write(message.replace("\r", "\n"))
        # Whole files only: the test reads *.hl7 while messages arrive.
        os.rename(tmp, os.path.join(OUT_DIR, f"{n:03}.hl7"))


class OruHandler(AbstractHandler):
    def reply(self):
        keep(self.incoming_message)
        return ack(self.incoming_message, "AA")


class ErrorHandler(AbstractErrorHandler):
    def reply(self):
        print(f"refused: {self.exc}", file=sys.stderr, flush=True)
        return ack(self.incoming_message, "AR", str(self.exc))


def main():
    global OUT_DIR
    p = argparse.ArgumentParser()
    p.add_argument("out_dir")
    p.add_argument("--lifetime", type=float, default=300.0)
    args = p.parse_args()
    OUT_DIR = args.out_dir
    os.makedirs(OUT_DIR, exist_ok=True)
    handlers = {"ORU^R01^ORU_R01": (OruHandler,), "ERR": (ErrorHandler,)}
    server = MLLPServer("127.0.0.1", 0, handlers, timeout=10)
    server.daemon_threads = True
    stop = threading.Timer(args.lifetime, server.shutdown)
    stop.daemon = True
    stop.start()
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
