"""A stand-in EHR inbound interface for fault tests: python-hl7's asyncio MLLP server
(hl7.mllp.start_hl7_server, not GenoBridge's code). For every message it receives it
appends one line to LOG, `MSH-10<TAB>SHA-256 of the message<TAB>ORC-3.1 (the filler
order number: the accession)`, flushed before it answers,
then ACKs with hl7's own create_ack: AA, or AE for a control id given with --refuse, and
for the first message of an accession given with --refuse-accession (and its resends).
Connections stay open for as many messages as the sender sends.

It binds 127.0.0.1 (an ephemeral port unless --port), prints `listening PORT` on stdout,
and stops by itself after --lifetime seconds, so it never outlives a test that died.

    mllp_log_receiver.py LOG [--port N] [--refuse CONTROL_ID ...]
        [--refuse-accession ACCESSION ...] [--lifetime 600]
"""

import argparse
import asyncio
import hashlib
import sys

import hl7
import hl7.mllp


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("log")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--refuse", action="append", default=[])
    p.add_argument("--refuse-accession", action="append", default=[])
    p.add_argument("--lifetime", type=float, default=600.0)
    args = p.parse_args()
    refuse = set(args.refuse)
    refuse_accessions = set(args.refuse_accession)
    log = open(args.log, "a", encoding="utf-8")

    async def on_connection(reader, writer):
        try:
            while not writer.is_closing():
                message = await reader.readmessage()
                control_id = str(message.segment("MSH")[10])
                digest = hashlib.sha256(str(message).encode("utf-8")).hexdigest()
                try:
                    accession = str(message.segment("ORC")[3]).split("^")[0]
                except (KeyError, IndexError):
                    accession = ""
                log.write(f"{control_id}\t{digest}\t{accession}\n")
                log.flush()
                if accession in refuse_accessions:
                    refuse_accessions.discard(accession)
                    refuse.add(control_id)
                code = "AE" if control_id in refuse else "AA"
                writer.writemessage(message.create_ack(ack_code=code))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await hl7.mllp.start_hl7_server(
        on_connection, host="127.0.0.1", port=args.port
    )
    port = server.sockets[0].getsockname()[1]
    print(f"listening {port}", flush=True)
    async with server:
        try:
            await asyncio.wait_for(server.serve_forever(), args.lifetime)
        except asyncio.TimeoutError:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
