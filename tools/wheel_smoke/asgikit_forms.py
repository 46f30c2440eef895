"""asgikit-forms' smoke app: a urlencoded body in two pieces, read twice, echoed."""

from __future__ import annotations

from asgikit.forms import read_form
from asgikit.requests import Request

from .harness import Info, channel, check, http_scope, main, response_of


async def smoke(info: Info) -> None:
    body = b"name=asgikit&tag=a&tag=b&empty="
    headers = [
        ("content-type", "application/x-www-form-urlencoded"),
        ("content-length", str(len(body))),
    ]
    scope = http_scope("POST", "/form", headers)
    receive, send, sent = channel(
        [
            {"type": "http.request", "body": body[:9], "more_body": True},
            {"type": "http.request", "body": body[9:], "more_body": False},
        ]
    )
    request = Request(scope, receive, send)
    form = await read_form(request)
    check(form["name"] == "asgikit", f"read_form: name = {form.get('name')!r}")
    tags = form.get_all("tag")
    check(tags == ["a", "b"], f"read_form: tag = {tags!r}")
    check(form["empty"] == "", f"read_form: empty = {form.get('empty')!r}")
    again = await Request(scope, receive, send).read_form()
    check(again["name"] == "asgikit", "Request.read_form() delegates to asgikit.forms")
    name = form["name"]
    check(isinstance(name, str), f"a field's value is text: {name!r}")
    assert isinstance(name, str)
    await request.respond_text(name)
    status, _, out = response_of(sent)
    check((status, out) == (200, b"asgikit"), f"response {status} {out!r}")


if __name__ == "__main__":
    main(smoke)
