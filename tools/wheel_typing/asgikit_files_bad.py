# Deliberate type errors, one per "# ERROR" line; excluded from the project's mypy run.
from asgikit.files import respond_file
from asgikit.requests import Request


async def handler(request: Request) -> None:
    await respond_file(request, 42)  # ERROR
    await respond_file("not a request", "index.html")  # ERROR
    await respond_file(request, "index.html", chunk_sise=10)  # ERROR
    await request.respond_file("index.html", chunk_sise=10)  # ERROR
