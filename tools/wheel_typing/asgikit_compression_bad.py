# Deliberate type errors, one per "# ERROR" line; excluded from the project's mypy run.
from asgikit.asgi import Receive, Scope, Send
from asgikit.compression import CompressionMiddleware, available_codings


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    pass


CompressionMiddleware(app, level=6)  # ERROR
CompressionMiddleware(app, minimum_size="500")  # ERROR
count: int = available_codings()  # ERROR
