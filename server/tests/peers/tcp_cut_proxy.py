"""A TCP proxy that can cut the line, for "the database is gone" tests: it forwards
127.0.0.1:PORT to --target. SIGUSR1 cuts: every open connection is closed and new ones are
refused (the listening socket is closed), as when the database host drops off the network.
SIGUSR2 opens the line again on the same port. It prints `listening PORT`, then `cut` and
`open` as it does them, and stops by itself after --lifetime seconds.

    tcp_cut_proxy.py --target 127.0.0.1:5432 [--lifetime 600]
"""

import argparse
import asyncio
import signal
import socket
import sys


def say(text):
    """Tells the test; a test that stopped listening is no reason to stop forwarding."""
    try:
        print(text, flush=True)
    except BrokenPipeError:
        pass


async def main():
    p = argparse.ArgumentParser()
    p.add_argument("--target", required=True)
    p.add_argument("--lifetime", type=float, default=600.0)
    args = p.parse_args()
    host, port = args.target.rsplit(":", 1)
    live = set()

    async def pipe(reader, writer):
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    async def on_connection(client_reader, client_writer):
        try:
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
        except OSError:
            client_writer.close()
            return
        tasks = (
            asyncio.ensure_future(pipe(client_reader, up_writer)),
            asyncio.ensure_future(pipe(up_reader, client_writer)),
        )
        conn = (client_writer, up_writer, tasks)
        live.add(conn)
        try:
            await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            live.discard(conn)

    # Bound once with SO_REUSEADDR, so the same port can be opened again after a cut.
    def bind(port):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        return s

    server = await asyncio.start_server(on_connection, sock=bind(0))
    listen_port = server.sockets[0].getsockname()[1]
    say(f"listening {listen_port}")
    state = {"server": server}

    def cut():
        srv = state.pop("server", None)
        if srv is not None:
            srv.close()
        for client_writer, up_writer, tasks in list(live):
            for t in tasks:
                t.cancel()
            client_writer.transport.abort()
            up_writer.transport.abort()
        live.clear()
        say("cut")

    async def reopen():
        if "server" not in state:
            state["server"] = await asyncio.start_server(on_connection, sock=bind(listen_port))
        say("open")

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, cut)
    loop.add_signal_handler(signal.SIGUSR2, lambda: asyncio.ensure_future(reopen()))
    await asyncio.sleep(args.lifetime)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
