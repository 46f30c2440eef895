"""The lifespan protocol for the test apps: nothing to set up, so acknowledge both events."""

from __future__ import annotations

from asgikit.asgi import Receive, Send


async def run_lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return
