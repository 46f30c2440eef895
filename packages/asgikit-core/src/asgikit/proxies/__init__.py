"""Trusted proxies: apply ``Forwarded`` (RFC 7239) or the ``X-Forwarded-*`` family to the
request's view of its client, scheme, host and root path.

:func:`apply_forwarded` rewrites the ASGI scope, as uvicorn's and hypercorn's own proxy
options do, so that everything reading the scope agrees afterwards: every
:class:`~asgikit.requests.Request` over it (``client``, ``scheme``, ``host``, ``port``,
``url``, ``base_url``, ``root_path``, ``path``) and any other ASGI code the request
passes through. What it did is recorded in the per-request state, so a second call
over the same scope (a middleware's and then a handler's) changes nothing.

.. versionadded:: 0.2.0
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Literal
from urllib.parse import unquote

from asgikit.asgi import Scope
from asgikit.errors import InvalidHostError, UnsupportedScopeError
from asgikit.headers import Headers
from asgikit.headers.forwarded import parse_forwarded
from asgikit.requests import Request
from asgikit.requests._exchange import EXCHANGE_KEY as _EXCHANGE_KEY
from asgikit.requests._exchange import Exchange as _Exchange
from asgikit.requests._url import parse_host as _parse_host

__all__ = ["ProxyHeaders", "apply_forwarded"]

ProxyHeaders = Literal["x-forwarded", "forwarded"]

_IP = ipaddress.IPv4Address | ipaddress.IPv6Address
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network
_PORT = re.compile(r"[0-9]{1,5}")
# A path prefix: segments of pchar (RFC 3986 §3.3), each after a "/".
_PREFIX = re.compile(r"(?:/(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*)+")
_SCHEMES = {
    "http": {"http": "http", "https": "https", "ws": "http", "wss": "https"},
    "websocket": {"http": "ws", "https": "wss", "ws": "ws", "wss": "wss"},
}


@lru_cache(maxsize=32)
def _compile(trusted: tuple[str, ...]) -> tuple[bool, tuple[_Network, ...]]:
    networks: list[_Network] = []
    for entry in trusted:
        if entry == "*":
            return True, ()
        try:
            networks.append(ipaddress.ip_network(entry.strip()))
        except ValueError:
            raise ValueError(
                f"invalid trusted proxy {entry!r}: give an address ('127.0.0.1'), a "
                "network ('10.0.0.0/8') or '*'"
            ) from None
    return False, tuple(networks)


def _is_trusted(ip: _IP, trust: tuple[bool, tuple[_Network, ...]]) -> bool:
    everyone, networks = trust
    if everyone:
        return True
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return any(ip in network for network in networks)


def _port(text: str) -> int | None:
    if _PORT.fullmatch(text) is None:
        return None
    port = int(text)
    return port if port <= 65535 else None


def _parse_node(value: str | None) -> tuple[_IP, int] | None:
    """An address and port from a ``for`` node (RFC 7239 §6) or an X-Forwarded-For
    entry: ``192.0.2.1``, ``192.0.2.1:8080``, ``[2001:db8::1]``, ``[2001:db8::1]:8080``
    or a bare ``2001:db8::1``; ``None`` for ``unknown``, obfuscated names and anything
    malformed."""
    if value is None:
        return None
    value = value.strip()
    port: int | None = 0
    if value.startswith("["):
        end = value.find("]")
        address, rest = value[1:end], value[end + 1 :]
        if end < 0 or (rest and (rest[0] != ":" or (port := _port(rest[1:])) is None)):
            return None
    elif value.count(":") == 1:
        address, _, rest = value.partition(":")
        if (port := _port(rest)) is None:
            return None
    else:
        address = value
    if "%" in address:
        return None
    try:
        return ipaddress.ip_address(address), port or 0
    except ValueError:
        return None


def _pick(values: list[str], hop: int) -> str | None:
    """The value a list header holds for the ``hop``-th proxy from the nearest (1): the
    ``hop``-th from the end when the proxies appended, else (fewer values than hops) the
    first, which the outermost proxy that wrote the header set."""
    if not values:
        return None
    return values[-hop] if len(values) >= hop else values[0]


def _list(headers: Headers, name: str) -> list[str]:
    return [item.strip() for line in headers.get_all(name) for item in line.split(",")]


def _exchange(scope: Scope) -> _Exchange:
    exchange: _Exchange | None = scope.get(_EXCHANGE_KEY)
    if exchange is None:
        if scope.get("type") not in ("http", "websocket"):
            raise UnsupportedScopeError(
                f"apply_forwarded() serves 'http' and 'websocket' scopes, not {scope.get('type')!r}"
            )
        exchange = scope[_EXCHANGE_KEY] = _Exchange()
    return exchange


def apply_forwarded(
    target: Request | Scope,
    *,
    trusted: Iterable[str],
    hops: int = 1,
    headers: ProxyHeaders = "x-forwarded",
) -> bool:
    """Apply what trusted proxies say about the request to ``target`` (a ``Request`` or
    its ASGI scope); return whether anything changed.

    ``trusted`` lists the proxies' addresses and networks (``"127.0.0.1"``,
    ``"10.0.0.0/8"``, ``"::1"``), or ``"*"`` for any peer; nothing is trusted unless
    listed. ``hops`` is how many proxies at most stand between the client and the app.
    ``headers`` names the one family your proxies write: ``"x-forwarded"``
    (``X-Forwarded-For``, ``-Proto``, ``-Host``, ``-Port``, ``-Prefix``) or
    ``"forwarded"`` (RFC 7239 ``for``, ``proto``, ``host``). The other family is
    ignored: a client could have sent it.

    The walk starts at the peer (``scope["client"]``). If it is not trusted, nothing
    happens. Otherwise the nearest entry (the last ``X-Forwarded-For`` address or
    ``Forwarded`` element) is applied; while the address it names is trusted too and
    fewer than ``hops`` entries were applied, the one before it is applied as well. The
    client becomes the last address applied (port 0 unless given); scheme, host, port
    and prefix come from the furthest entry applied that has them (for
    ``X-Forwarded-Proto``/``-Host``/``-Port``/``-Prefix``, the value at the same position
    from the end as that ``X-Forwarded-For`` entry, or the first value when the header
    has fewer). A value that does not parse (a bad address, ``unknown``, a host with
    bad characters, a port over 65535, a scheme other than http/https/ws/wss) is
    ignored on its own, and an address that does not parse ends the walk.

    What changes in the scope: ``client``; ``scheme`` (``https`` becomes ``wss`` on a
    WebSocket); the ``Host`` header (one line, ``host[:port]``); and with a prefix,
    ``root_path`` gets it in front, as do ``path`` and ``raw_path`` when ``path``
    starts with ``root_path`` (uvicorn's convention). Only the first call over a scope
    acts. Raises ``ValueError`` for a malformed ``trusted`` entry or ``hops < 1``.

    .. versionadded:: 0.2.0
    """
    scope = target.scope if isinstance(target, Request) else target
    exchange = _exchange(scope)
    if hops < 1:
        raise ValueError(f"hops must be at least 1, not {hops}")
    if headers not in ("x-forwarded", "forwarded"):
        raise ValueError(f"headers must be 'x-forwarded' or 'forwarded', not {headers!r}")
    trust = _compile(tuple(trusted))
    if exchange.proxied:
        return False
    exchange.proxied = True

    peer = scope.get("client")
    node = _parse_node(peer[0]) if peer else None
    if node is None or not _is_trusted(node[0], trust):
        return False

    request_headers = Headers(scope.get("headers", []))
    client: tuple[_IP, int] | None = None
    proto = host = port = prefix = None
    if headers == "forwarded":
        elements = [
            e for line in request_headers.get_all("forwarded") for e in parse_forwarded(line)
        ]
        for count, element in enumerate(reversed(elements), 1):
            node = _parse_node(element.get("for"))
            proto = element.get("proto", proto)
            host = element.get("host", host)
            if node is None:
                break
            client = node
            if count == hops or not _is_trusted(node[0], trust):
                break
    else:
        addresses = _list(request_headers, "x-forwarded-for")
        walked = 0
        for address in reversed(addresses):
            walked += 1
            node = _parse_node(address)
            if node is None:
                break
            client = node
            if walked == hops or not _is_trusted(node[0], trust):
                break
        hop = max(walked, 1)
        proto = _pick(_list(request_headers, "x-forwarded-proto"), hop)
        host = _pick(_list(request_headers, "x-forwarded-host"), hop)
        port = _pick(_list(request_headers, "x-forwarded-port"), hop)
        prefix = _pick(_list(request_headers, "x-forwarded-prefix"), hop)
    return _rewrite(scope, exchange, request_headers, client, proto, host, port, prefix)


def _rewrite(
    scope: Scope,
    exchange: _Exchange,
    request_headers: Headers,
    client: tuple[_IP, int] | None,
    proto: str | None,
    host: str | None,
    port_text: str | None,
    prefix: str | None,
) -> bool:
    changed = False
    if client is not None:
        scope["client"] = (str(client[0]), client[1])
        changed = True
    scheme = _SCHEMES.get(scope["type"], {}).get(proto.lower()) if proto else None
    if scheme is not None:
        scope["scheme"] = scheme
        changed = True

    authority: tuple[str, int | None] | None = None
    if host is not None:
        try:
            authority = _parse_host(host, what="forwarded host")
        except InvalidHostError:
            authority = None
    port = _port(port_text) if port_text is not None else None
    if authority is None and port is not None:
        current = request_headers.get_all("host")
        try:
            authority = _parse_host(current[0]) if len(current) == 1 else None
        except InvalidHostError:
            authority = None
    if authority is not None:
        name, own_port = authority
        port = own_port if port is None else port
        value = name if port is None else f"{name}:{port}"
        scope["headers"] = [
            *((k, v) for k, v in request_headers.raw if k.lower() != b"host"),
            (b"host", value.encode("ascii")),
        ]
        changed = True

    if prefix is not None and _PREFIX.fullmatch(prefix) and prefix.rstrip("/"):
        prefix = prefix.rstrip("/")
        decoded = unquote(prefix)
        root_path: str = scope.get("root_path", "")
        path: str = scope["path"]
        if path.startswith(root_path):
            scope["path"] = decoded + path
            raw_path: bytes | None = scope.get("raw_path")
            if raw_path is not None:
                scope["raw_path"] = prefix.encode("ascii") + raw_path
        scope["root_path"] = decoded + root_path
        changed = True

    if changed:
        exchange.headers = None
        exchange.authority = None
    return changed
