from asgikit.asgi import Receive, Scope, Send
from asgikit.compression import CompressionMiddleware, available_codings


async def app(scope: Scope, receive: Receive, send: Send) -> None:
    pass


middleware = CompressionMiddleware(app, codings=("br", "gzip"), levels={"gzip": 6})
codings: tuple[str, ...] = available_codings()
