"""A mail relay for the tests: aiosmtpd's SMTP server (not GenoBridge's code) on
127.0.0.1, appending each mail it accepts to LOG as one JSON line (envelope sender,
recipients, subject, text). Prints "listening PORT" once it accepts connections.

    smtp_log_server.py LOG [--lifetime 600]
"""

import argparse
import email
import email.policy
import json
import socket
import sys
import time

from aiosmtpd.controller import Controller


class Keep:
    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        body = msg.get_body(preferencelist=("plain",))
        with open(self.path, "a", encoding="utf-8") as log:
            log.write(json.dumps({
                "from": envelope.mail_from,
                "to": envelope.rcpt_tos,
                "subject": str(msg["subject"]),
                "text": body.get_content() if body else "",
            }) + "\n")
        return "250 Message accepted for delivery"


def main():
    p = argparse.ArgumentParser()
    p.add_argument("log")
    p.add_argument("--lifetime", type=float, default=600)
    args = p.parse_args()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    controller = Controller(Keep(args.log), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"listening {port}", flush=True)
    try:
        time.sleep(args.lifetime)
    finally:
        controller.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
