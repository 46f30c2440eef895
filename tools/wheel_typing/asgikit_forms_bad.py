# Deliberate type errors, one per "# ERROR" line; excluded from the project's mypy run.
from asgikit.forms import read_form
from asgikit.requests import Request


async def handler(request: Request) -> None:
    form: int = await read_form(request)  # ERROR
    await read_form("not a request")  # ERROR
    await read_form(request, max_filez=10)  # ERROR
    await request.read_form(max_filez=10)  # ERROR
    print(form)
