from asgikit.forms import read_form
from asgikit.requests import Request


async def handler(request: Request) -> None:
    form = await read_form(request)
    print(form)
