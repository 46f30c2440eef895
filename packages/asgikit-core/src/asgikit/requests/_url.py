"""The request's authority and URL: Host parsing (RFC 9110 §7.2, RFC 3986 §3.2.2) and
percent-encoding of paths and queries (RFC 3986 §2.1, §3.3, §3.4). Pure functions."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote

from asgikit.errors import DisallowedHostError, InvalidHostError

DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}

# RFC 3986 §3.2.2: host = IP-literal / IPv4address / reg-name. A reg-name here is
# narrowed to unreserved characters (no sub-delims, no pct-encoded): what DNS names,
# IPv4 addresses and container names use, and nothing that could change a built URL.
_AUTHORITY = re.compile(
    r"(?:(?P<name>[A-Za-z0-9._~-]{1,253})|\[(?P<ip6>[0-9A-Fa-f:.]{2,45})\])"
    r"(?::(?P<port>[0-9]{0,5}))?"
)
MAX_HOST_LENGTH = 261  # "[" 45 "]" or 253, ":" and 5 digits


def parse_host(value: str, *, what: str = "Host header") -> tuple[str, int | None]:
    """``(host, port)`` from ``uri-host [ ":" port ]``: the host lower-cased, an IPv6
    literal in brackets; the port ``None`` when absent or empty ("host:"). Raises
    :class:`InvalidHostError` (400) on anything else."""
    match = _AUTHORITY.fullmatch(value) if len(value) <= MAX_HOST_LENGTH else None
    if match is None:
        raise InvalidHostError(
            f"invalid {what}: {value[:64]!r}",
            hint="a host is a DNS name, an IPv4 address or a bracketed IPv6 address, "
            "with an optional port",
        )
    name, ip6, digits = match.group("name", "ip6", "port")
    if ip6 is not None:
        try:
            ipaddress.IPv6Address(ip6)
        except ValueError:
            raise InvalidHostError(
                f"invalid {what}: {value[:64]!r}", hint="not an IPv6 address"
            ) from None
        host = f"[{ip6.lower()}]"
    else:
        host = name.lower()
    if not digits:
        return host, None
    port = int(digits)
    if port > 65535:
        raise InvalidHostError(f"invalid {what}: {value[:64]!r}", hint="port over 65535")
    return host, port


def host_from_server(server: object) -> tuple[str, int] | None:
    """The server address as ``(host, port)``, an IPv6 address in brackets; ``None`` for a
    Unix socket or no address."""
    if not isinstance(server, (tuple, list)) or len(server) != 2:
        return None
    host, port = server
    if not isinstance(host, str) or not isinstance(port, int) or not host:
        return None
    if ":" in host:
        return f"[{host.lower()}]", port
    return host.lower(), port


# RFC 3986 §3.3: pchar = unreserved / pct-encoded / sub-delims / ":" / "@"; a path adds
# "/", a query adds "/" and "?".
_PATH_OK = re.compile(rb"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*")
_QUERY_OK = re.compile(rb"[A-Za-z0-9\-._~!$&'()*+,;=:@/?]*")
_PATH_BAD = re.compile(rb"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/%]")
_QUERY_BAD = re.compile(rb"%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~!$&'()*+,;=:@/?%]")
_PATH_SAFE = "/:@!$&'()*+,;=~"


def _escape(match: re.Match[bytes]) -> bytes:
    return b"%%%02X" % match[0][0]


def encode_raw_path(raw: bytes) -> str:
    """``raw`` (a path as it came on the wire) with every byte a URL path may not hold
    percent-encoded; valid ``%XX`` escapes are kept as they are."""
    if _PATH_OK.fullmatch(raw) is None:
        raw = _PATH_BAD.sub(_escape, raw)
    return raw.decode("ascii")


def encode_query(raw: bytes) -> str:
    """The query string, as :func:`encode_raw_path` does for a path."""
    if _QUERY_OK.fullmatch(raw) is None:
        raw = _QUERY_BAD.sub(_escape, raw)
    return raw.decode("ascii")


def encode_path(path: str) -> str:
    """A decoded path (``scope["path"]``, ``root_path``) percent-encoded as UTF-8."""
    return quote(path, safe=_PATH_SAFE)


def url_path(path: str, raw_path: bytes | None, root_path: str) -> str:
    """The encoded path the client asked for. ASGI servers differ: uvicorn puts
    ``root_path`` in front of ``path`` and ``raw_path``, hypercorn and granian do not; a
    path that does not start with ``root_path`` gets it in front."""
    if raw_path is not None:
        # A server that leaves the query in raw_path would duplicate it in the URL.
        raw_path = raw_path.split(b"?", 1)[0]
    full = not root_path or path.startswith(root_path)
    encoded = encode_raw_path(raw_path) if raw_path else encode_path(path)
    if full:
        return encoded or "/"
    return encode_path(root_path) + encoded


def check_pattern(pattern: str) -> str:
    """A lower-cased allowed-host pattern, or ``ValueError``: an exact host, ``*.`` and a
    domain, or ``*``."""
    low = pattern.lower()
    if low == "*":
        return low
    wildcard = low.startswith("*.")
    name = (low[2:] if wildcard else low).removesuffix(".")
    try:
        host, port = parse_host(name, what="allowed host pattern")
    except InvalidHostError:
        host, port = "", None
    if not host or port is not None or (wildcard and host.startswith("[")):
        raise ValueError(
            f"invalid allowed host pattern {pattern!r}: use 'name', '*.name' or '*', without a port"
        )
    return f"*.{host}" if wildcard else host


def check_allowed(host: str, patterns: list[str]) -> None:
    """Raise :class:`DisallowedHostError` unless ``host`` matches one of ``patterns`` (as
    :func:`check_pattern` returns them). ``*.example.com`` matches every subdomain at any
    depth but not ``example.com`` itself; a trailing dot on the host is ignored."""
    name = host.removesuffix(".")
    for pattern in patterns:
        if pattern == "*" or pattern == name:
            return
        if pattern.startswith("*.") and name.endswith(pattern[1:]):
            return
    raise DisallowedHostError(
        f"host {host[:64]!r} is not served here",
        hint="add it to the allowed hosts given to check_host()",
    )


def read_authority(values: list[str], server: object, scheme: str) -> tuple[str, int]:
    """``(host, port)`` from the Host header lines ``values``, the server address
    ``server`` as the fallback, the default port of ``scheme`` when Host has none."""
    if len(values) > 1:
        # RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status code to
        # any HTTP/1.1 request message that lacks a Host header field and to any request
        # message that contains more than one Host header field line".
        raise InvalidHostError(
            "more than one Host header", hint="RFC 9112 §3.2 requires exactly one"
        )
    if values and values[0]:
        host, port = parse_host(values[0])
        return host, DEFAULT_PORTS.get(scheme, 80) if port is None else port
    fallback = host_from_server(server)
    if fallback is None:
        raise InvalidHostError(
            "the request has no Host header",
            hint="and the server gave no address to fall back on (a Unix socket?)",
        )
    return fallback
