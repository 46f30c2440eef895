"""Static directories: a safe resolver, index files, precompressed variants.

A request path is first checked lexically (:func:`safe_path_segments`), before any
filesystem call: no ``..``, no empty or absolute segment, no NUL, control character,
backslash, colon or other Windows-reserved character, no Windows device name, no
trailing dot or space. Then the file is found below the root without ever leaving it:

- ``follow_symlinks=False`` (the default) on POSIX walks from the root one segment at a
  time with ``openat(..., O_NOFOLLOW)``, so no component may be a symlink, and a
  component swapped for a symlink meanwhile is refused too. Elsewhere the real path
  must equal the joined path.
- ``follow_symlinks=True`` follows symlinks, but the real path must lie inside the real
  root, compared by path components (not by string prefix: ``/srv/static1`` is not
  inside ``/srv/static``).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import NamedTuple, TypedDict, Unpack
from urllib.parse import quote

from asgikit.asgi import Receive, Scope, Send
from asgikit.errors import ClientDisconnectedError, MethodNotAllowedError, NotFoundError
from asgikit.files._content import guess_media_type, negotiate_encoding
from asgikit.files._respond import (
    DEFAULT_CHUNK_SIZE,
    Opened,
    check_options,
    in_thread,
    joined,
    not_found,
    open_regular,
    send_file,
)
from asgikit.requests import Request

__all__ = ["StaticFiles", "StaticOptions", "safe_path_segments", "serve_static"]

MAX_PATH_LENGTH = 4096
MAX_SEGMENT_BYTES = 255
_RESERVED = frozenset('\\:*?"<>|')
# asgikit-forms keeps the same list (asgikit/forms/_filename.py) for safe_filename();
# neither distribution depends on the other: change both.
_DEVICES = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$", "CLOCK$"]
    + [f"{port}{n}" for port in ("COM", "LPT") for n in "0123456789\u00b9\u00b2\u00b3"]
)
# (coding, file suffix), in the server's order of preference.
VARIANTS = (("br", ".br"), ("gzip", ".gz"))
SUFFIXES = dict(VARIANTS)
ALLOWED_METHODS = ("GET", "HEAD")


class StaticOptions(TypedDict, total=False):
    """The options of :func:`serve_static` and :class:`StaticFiles`. A misspelled
    option is a type error, and a ``TypeError`` when the call runs."""

    #: The file that serves a directory ("index.html"; ``None``: no index).
    index: str | None
    #: Follow symlinks that stay inside the root (``False``: no symlink at all).
    follow_symlinks: bool
    #: Send ``name.br`` / ``name.gz`` when the client accepts them (``True``).
    precompressed: bool
    #: Serve names starting with a dot (``False``).
    allow_dotfiles: bool
    #: Sent as ``Cache-Control`` on every answer (``None``: not sent).
    cache_control: str | None
    #: Bytes per read of a file (1 MiB), as in :func:`respond_file`.
    chunk_size: int


_STATIC_OPTIONS: frozenset[str] = StaticOptions.__optional_keys__

_HAVE_OPENAT = (
    os.open in os.supports_dir_fd
    and os.stat in os.supports_dir_fd
    and hasattr(os, "O_NOFOLLOW")
    and hasattr(os, "O_DIRECTORY")
)


def safe_path_segments(path: str, *, allow_dotfiles: bool = False) -> list[str] | None:
    """The segments of a decoded request path below a static root, or ``None`` when the
    path must not be served. Pure: no filesystem access.

    ``"/css/site.css"`` → ``["css", "site.css"]``; ``"/"`` and ``""`` → ``[]``; one
    leading and one trailing ``/`` are dropped. Refused: ``.`` and ``..`` segments,
    empty segments (``a//b``, hence ``//host/share``), NUL and other control
    characters, ``\\ : * ? " < > |`` (Windows separators, drives, streams and
    wildcards), segments ending in a dot or a space (Windows strips them), Windows
    device names with or without extension (``CON``, ``nul.txt``, ``COM1 .log``),
    segments over 255 UTF-8 bytes or not encodable, paths over 4096 characters, and
    segments starting with ``.`` unless ``allow_dotfiles``. The same rules hold on
    every platform, so a site behaves alike wherever it is deployed.
    """
    if len(path) > MAX_PATH_LENGTH:
        return None
    if path.startswith("/"):
        path = path[1:]
    if path.endswith("/"):
        path = path[:-1]
    if not path:
        return []
    segments = path.split("/")
    for segment in segments:
        if not segment or segment in (".", ".."):
            return None
        if segment[0] == "." and not allow_dotfiles:
            return None
        if segment[-1] in ". ":
            return None
        for char in segment:
            if char < " " or char == "\x7f" or char in _RESERVED:
                return None
        try:
            if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
                return None
        except UnicodeEncodeError:  # a lone surrogate
            return None
        if segment.split(".", 1)[0].rstrip(" ").upper() in _DEVICES:
            return None
    return segments


class Found(NamedTuple):
    opened: Opened
    path: str  # the file's path, for pathsend
    name: str  # the name that gives the media type (the variant's base name)
    coding: str | None
    vary: bool
    redirect: bool  # a directory asked without its trailing slash


def _inside(real: str, root: str) -> bool:
    if real == root:
        return True
    prefix = root if root.endswith(os.sep) else root + os.sep
    return real.startswith(prefix)


def _locate_walk(
    root: str,
    segments: list[str],
    directory: bool,
    index: str | None,
    accept_encoding: str | None,
    precompressed: bool,
) -> Found:
    """Find the file with ``openat`` one segment at a time, refusing every symlink."""
    dir_flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
    opened: Opened | None = None
    try:
        dir_fd = os.open(root, dir_flags & ~os.O_NOFOLLOW)
    except OSError as exc:
        raise not_found(exc) from exc
    try:
        try:
            for segment in segments[:-1]:
                next_fd = os.open(segment, dir_flags, dir_fd=dir_fd)
                os.close(dir_fd)
                dir_fd = next_fd
        except (OSError, ValueError) as exc:
            raise not_found(exc) from exc
        redirect = not segments and not directory  # the mount root without its slash
        if segments:
            name = segments[-1]
            opened = open_regular_or_dir(name, dir_fd)
            if opened is None:  # a directory: its fd replaced dir_fd
                try:
                    next_fd = os.open(name, dir_flags, dir_fd=dir_fd)
                except OSError as exc:
                    raise not_found(exc) from exc
                os.close(dir_fd)
                dir_fd = next_fd
                redirect = not directory
            elif directory:
                raise not_found()  # "file.txt/"
        if opened is None:
            if not index:
                raise not_found()
            name = index
            opened = open_regular(index, dir_fd=dir_fd, nofollow=True)
            segments = [*segments, index]
            if redirect:
                return Found(opened, "", name, None, False, True)
        path = os.path.join(root, *segments)
        if not precompressed:
            return Found(opened, path, name, None, False, False)

        def probe(suffix: str) -> str | None:
            try:
                st = os.stat(name + suffix, dir_fd=dir_fd, follow_symlinks=False)
            except (OSError, ValueError):
                return None
            return name + suffix if stat.S_ISREG(st.st_mode) else None

        def open_variant(variant: str) -> Opened:
            return open_regular(variant, dir_fd=dir_fd, nofollow=True)

        opened, coding, _, vary = pick_variant(opened, accept_encoding, probe, open_variant)
        if coding is not None:
            path += SUFFIXES[coding]
        return Found(opened, path, name, coding, vary, False)
    except BaseException:
        if opened is not None:
            opened.close()
        raise
    finally:
        os.close(dir_fd)


def open_regular_or_dir(name: str, dir_fd: int) -> Opened | None:
    """Open ``name`` in ``dir_fd`` without following a symlink: the file, or ``None``
    for a directory; anything else is :class:`NotFoundError`."""
    try:
        st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
    except (OSError, ValueError) as exc:
        raise not_found(exc) from exc
    if stat.S_ISDIR(st.st_mode):
        return None
    if not stat.S_ISREG(st.st_mode):
        raise not_found()  # symlinks included
    return open_regular(name, dir_fd=dir_fd, nofollow=True)


def _resolve(path: str, root: str, follow_symlinks: bool) -> str:
    real = os.path.realpath(path)
    if follow_symlinks:
        if not _inside(real, root):
            raise not_found()
    elif real != os.path.normpath(path):
        raise not_found()  # a symlink somewhere below the root
    return real


def _locate_resolved(
    root: str,
    segments: list[str],
    directory: bool,
    index: str | None,
    accept_encoding: str | None,
    precompressed: bool,
    follow_symlinks: bool,
) -> Found:
    """Find the file by real paths; each one, variants included, checked against root."""
    try:
        real = _resolve(os.path.join(root, *segments), root, follow_symlinks)
        st = os.stat(real)
    except (OSError, ValueError) as exc:
        raise not_found(exc) from exc
    redirect = False
    if stat.S_ISDIR(st.st_mode):
        if not index:
            raise not_found()
        redirect = not directory
        try:
            real = _resolve(os.path.join(real, index), root, follow_symlinks)
        except (OSError, ValueError) as exc:
            raise not_found(exc) from exc
    elif directory:
        raise not_found()
    name = index if stat.S_ISDIR(st.st_mode) and index else segments[-1]
    opened = open_regular(real, nofollow=True)
    if redirect:
        return Found(opened, "", name, None, False, True)
    if not precompressed:
        return Found(opened, real, name, None, False, False)

    def probe(suffix: str) -> str | None:
        try:
            variant = _resolve(real + suffix, root, follow_symlinks)
            return variant if stat.S_ISREG(os.stat(variant).st_mode) else None
        except (OSError, ValueError, NotFoundError):
            return None

    def open_variant(variant: str) -> Opened:
        return open_regular(variant, nofollow=True)

    try:
        chosen, coding, variant, vary = pick_variant(opened, accept_encoding, probe, open_variant)
    except BaseException:
        opened.close()
        raise
    return Found(chosen, variant or real, name, coding, vary, False)


def pick_variant(
    opened: Opened,
    accept_encoding: str | None,
    probe: Callable[[str], str | None],
    open_variant: Callable[[str], Opened],
) -> tuple[Opened, str | None, str | None, bool]:
    """Swap ``opened`` for the precompressed variant the client accepts best, if any.

    ``probe(suffix)`` names the variant with that suffix when it is a regular file that
    may be served (the caller's symlink policy decides), else ``None``; ``open_variant``
    opens a name ``probe`` gave. Returns the file to send, its coding and the variant's
    name (both ``None`` for the file as it is), and whether any variant exists (then
    the response varies by Accept-Encoding).
    """
    available: dict[str, str] = {}
    for coding, suffix in VARIANTS:
        variant = probe(suffix)
        if variant is not None:
            available[coding] = variant
    chosen = negotiate_encoding(accept_encoding, list(available))
    if chosen is None:
        return opened, None, None, bool(available)
    variant = available[chosen]
    try:
        replacement = open_variant(variant)
    except NotFoundError:
        return opened, None, None, True  # gone meanwhile: the file as it is
    opened.close()
    return replacement, chosen, variant, True


def locate(
    root: str,
    segments: list[str],
    directory: bool,
    *,
    root_is_real: bool,
    index: str | None,
    accept_encoding: str | None,
    precompressed: bool,
    follow_symlinks: bool,
) -> Found:
    """Find what to serve for ``segments`` below ``root``; runs in a thread. ``root`` is
    resolved to its real path first unless ``root_is_real`` (:class:`StaticFiles`
    resolves its root once, when it is built)."""
    if not root_is_real:
        try:
            root = os.path.realpath(root)
        except (OSError, ValueError) as exc:
            raise not_found(exc) from exc
    if not follow_symlinks and _HAVE_OPENAT:
        return _locate_walk(root, segments, directory, index, accept_encoding, precompressed)
    return _locate_resolved(
        root, segments, directory, index, accept_encoding, precompressed, follow_symlinks
    )


async def serve_static(
    request: Request, root: str | os.PathLike[str], path: str, **options: Unpack[StaticOptions]
) -> None:
    """Respond with the file at ``path`` below the directory ``root``.

    ``path`` is the decoded request path below the root (``"/css/site.css"``); it is
    checked with :func:`safe_path_segments`, then found without leaving ``root`` (see
    the module docs for the symlink policy, ``follow_symlinks``). A directory is served
    by its ``index`` file (``None``: no index); asked without its trailing slash, it is
    redirected (307) to the URL with one, so relative links in the page work (RFC 3986
    §5.2). For ``path == ""`` (the root) the request URL decides: ``/docs`` is
    redirected to ``/docs/``, ``/docs/`` is served.

    With ``precompressed``, a ``name.br`` or ``name.gz`` beside the file is sent instead
    when the client's Accept-Encoding accepts ``br`` or ``gzip`` (weights honoured,
    ``q=0`` refuses), with ``Content-Encoding`` and the media type of ``name``; every
    response for a file that has variants carries ``Vary: Accept-Encoding``.
    ``cache_control``, when given, is sent as ``Cache-Control`` on every answer.
    Conditional requests, Range, HEAD and pathsend behave as in :func:`respond_file`.
    ``options`` are those of :class:`StaticOptions`; one it does not name raises
    ``TypeError``.

    Raises :class:`~asgikit.errors.MethodNotAllowedError` (405, ``allowed`` is
    ``("GET", "HEAD")``) for other methods, :class:`~asgikit.errors.NotFoundError`
    (404) when there is nothing to serve; :class:`StaticFiles` turns both into
    responses.

    .. versionadded:: 0.1.0
    """
    check_options(options, _STATIC_OPTIONS, "serve_static")
    url_path = mount_url(request.path, request.root_path)[0]
    await _serve(request, os.fspath(root), path, url_path, options, root_is_real=False)


async def _serve(
    request: Request,
    root: str,
    path: str,
    url_path: str,
    options: StaticOptions,
    *,
    root_is_real: bool,
) -> None:
    method = request.method
    if method != "GET" and method != "HEAD":
        raise MethodNotAllowedError(
            f"method {method} is not allowed on static files", allowed=ALLOWED_METHODS
        )
    segments = safe_path_segments(path, allow_dotfiles=options.get("allow_dotfiles", False))
    if segments is None:
        raise NotFoundError("no such file")
    # For the root itself only the URL knows whether it ended with a slash. An empty
    # URL path is no URL at all (the redirect would be to "//"): it is served.
    directory = path.endswith("/") if path else url_path.endswith("/") or not url_path
    found = await in_thread(
        locate,
        root,
        segments,
        directory,
        root_is_real=root_is_real,
        index=options.get("index", "index.html"),
        accept_encoding=joined(request.headers.get_all("accept-encoding")),
        precompressed=options.get("precompressed", True),
        follow_symlinks=options.get("follow_symlinks", False),
    )
    opened = found.opened
    try:
        headers = request.response.headers
        cache_control = options.get("cache_control")
        if cache_control is not None:
            headers.set("cache-control", cache_control)
        if found.redirect:
            await request.respond_redirect(_slash_location(request, url_path))
            return
        if found.vary:
            headers.add("vary", "Accept-Encoding")
        await send_file(
            request,
            found.path,
            opened,
            status=200,
            media_type=guess_media_type(found.name),
            download_name=None,
            chunk_size=options.get("chunk_size", DEFAULT_CHUNK_SIZE),
            content_encoding=found.coding,
            etag_suffix="" if found.coding is None else "-" + found.coding,
            nofollow=True,
        )
    finally:
        opened.close()


def mount_url(path: str, root_path: str) -> tuple[str, str]:
    """``(url_path, below)``: the request's whole URL path, and the part of it below the
    mount ``root_path``. Pure.

    The ASGI spec puts ``root_path`` inside ``path`` (uvicorn, hypercorn, Starlette's
    ``Mount``), so the mount root is ``path == root_path`` and below it is
    ``"/file"``; some servers and routers leave it out, giving ``""`` for the mount root.
    ``root_path`` counts as included only on a segment boundary: under ``"/static"``,
    ``"/statichello.txt"`` is not ``"hello.txt"``.
    """
    if not root_path:
        return path, path
    if path.startswith(root_path) and (
        len(path) == len(root_path) or root_path[-1] == "/" or path[len(root_path)] == "/"
    ):
        return path, path[len(root_path) :]
    if root_path[-1] == "/" and path == root_path[:-1]:  # "/static" under "/static/"
        return path, ""
    if root_path[-1] == "/" and path.startswith("/"):
        return root_path + path[1:], path
    return root_path + path, path


def _slash_location(request: Request, url_path: str) -> str:
    """The URL of the directory with its slash, re-encoded from the decoded path: a
    decoded ``%`` or ``#`` must not change what the client asks for next."""
    # Never "//host" (an open redirect); every character a path may not hold is quoted.
    location = "/" + quote(url_path.lstrip("/"), safe="/") + "/"
    query: bytes = request.scope.get("query_string", b"")
    if query:
        location += "?" + query.decode("latin-1")
    return location


_RESPONSES: dict[int, bytes] = {404: b"Not Found", 405: b"Method Not Allowed"}


class StaticFiles:
    """An ASGI app serving the files below ``root``::

        static = StaticFiles("public", index="index.html")

    Mount it where the framework or router strips a prefix into ``root_path`` (the
    served path is ``scope["path"]`` without ``root_path``, whether the server put it
    inside ``path`` or not); the mount root asked without its slash (``/static``) is
    redirected to ``/static/``. The options are those of :func:`serve_static`. A
    missing file answers 404 and a method other than GET or HEAD 405 with ``Allow: GET,
    HEAD``, both as short ``text/plain``; a client that goes away ends the call quietly.

    .. versionadded:: 0.1.0
    """

    __slots__ = ("options", "root")

    def __init__(self, root: str | os.PathLike[str], **options: Unpack[StaticOptions]) -> None:
        check_options(options, _STATIC_OPTIONS, "StaticFiles")
        self.root = os.path.realpath(os.fspath(root))
        #: The options given (:class:`StaticOptions`).
        self.options = options

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            raise ValueError(f"StaticFiles serves http scopes, not {scope['type']!r}")
        request = Request(scope, receive, send)
        url_path, path = mount_url(scope["path"], scope.get("root_path", ""))
        try:
            await _serve(request, self.root, path, url_path, self.options, root_is_real=True)
        except (NotFoundError, MethodNotAllowedError) as exc:
            response = request.response
            if response.is_started:
                raise
            response.headers.remove("cache-control")
            if isinstance(exc, MethodNotAllowedError):
                response.headers.set("allow", ", ".join(exc.allowed))
            await request.respond_bytes(
                _RESPONSES[exc.status_code], status=exc.status_code, media_type="text/plain"
            )
        except ClientDisconnectedError:
            return
