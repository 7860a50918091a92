"""Serving an aiosmtpd protocol until SIGTERM or SIGINT, shared by the test
SMTP servers in this folder: they print ``READY`` once they accept
connections, and stop cleanly, open connections included."""

import asyncio
import signal


async def serve_until_signalled(protocol, host: str, port: int) -> None:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(protocol, host=host, port=port)
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    print("READY", flush=True)
    await stop.wait()
    server.close()
    # From Python 3.12 wait_closed() also waits for open connections; a client
    # that is still connected must not keep the server alive.
    if hasattr(server, "close_clients"):
        server.close_clients()
    await server.wait_closed()
