from asgikit.files import respond_file
from asgikit.requests import Request


async def handler(request: Request) -> None:
    await respond_file(request, "index.html")
