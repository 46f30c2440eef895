"""asgikit-forms behind a real server: whole forms, streamed uploads, limit errors.

- ``POST /form``: ``request.read_form()``; answers the text fields and, per file, its
  filename, media type, size, sha256 and whether it was spooled to disk.
- ``POST /stream?dir=PATH``: ``iter_parts()``; each file is written to ``PATH`` (under a
  name the app chooses) as it arrives, hashing on the way; answers sizes and hashes.
- ``GET /memory``: this process's peak resident memory (VmHWM), in KiB.
Query options ``max_file_size`` and ``max_fields`` lift or lower the limits.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from pathlib import Path
from typing import Any

from lifespan import run_lifespan

from asgikit.errors import ClientError
from asgikit.forms import PartsOptions, UploadedFile, iter_parts
from asgikit.requests import Request


def _options(request: Request) -> PartsOptions:
    def number(name: str) -> int | None:
        value = request.query.get_first(name)
        return int(value) if isinstance(value, str) else None

    options: PartsOptions = {}
    if (max_file_size := number("max_file_size")) is not None:
        options["max_file_size"] = max_file_size
    if (max_fields := number("max_fields")) is not None:
        options["max_fields"] = max_fields
    if (max_body_size := number("max_body_size")) is not None:
        options["max_body_size"] = max_body_size
    return options


async def _form(request: Request) -> None:
    async with await request.read_form(**_options(request)) as form:
        fields: dict[str, Any] = {}
        files: dict[str, Any] = {}
        for name, value in form.items():
            for item in value if isinstance(value, list) else [value]:
                if isinstance(item, UploadedFile):
                    digest = hashlib.sha256()
                    async for chunk in item:
                        digest.update(chunk)
                    files.setdefault(name, []).append(
                        {
                            "filename": item.filename,
                            "content_type": item.content_type,
                            "size": item.size,
                            "sha256": digest.hexdigest(),
                            "on_disk": not item.in_memory,
                        }
                    )
                else:
                    fields.setdefault(name, []).append(item)
        await request.respond_json({"fields": fields, "files": files})


async def _stream(request: Request) -> None:
    directory = request.query.get_first("dir")
    assert isinstance(directory, str)
    results = []
    fields = {}
    index = 0
    async for part in iter_parts(request, **_options(request)):
        if not part.is_file:
            fields[part.name] = await part.text()
            continue
        index += 1
        target = Path(directory) / f"upload-{index}.bin"
        digest = hashlib.sha256()
        out = await asyncio.to_thread(open, target, "wb")
        try:
            batch: list[bytes] = []
            pending = 0
            async for chunk in part:
                digest.update(chunk)
                batch.append(chunk)
                pending += len(chunk)
                if pending >= 1 << 20:
                    await asyncio.to_thread(out.writelines, batch)
                    batch, pending = [], 0
            await asyncio.to_thread(out.writelines, batch)
        finally:
            await asyncio.to_thread(out.close)
        results.append(
            {
                "name": part.name,
                "filename": part.filename,
                "size": part.size,
                "sha256": digest.hexdigest(),
                "path": str(target),
            }
        )
    await request.respond_json({"fields": fields, "files": results})


def _peak_rss_kib() -> int:
    with open(f"/proc/{os.getpid()}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        await run_lifespan(receive, send)
        return
    request = Request(scope, receive, send)
    try:
        if request.path == "/form":
            await _form(request)
        elif request.path == "/stream":
            await _stream(request)
        elif request.path == "/memory":
            await request.respond_json({"vm_hwm_kib": _peak_rss_kib(), "pid": os.getpid()})
        else:
            await request.respond_status(404)
    except ClientError as exc:
        await request.respond_text(str(exc), status=exc.status_code)
