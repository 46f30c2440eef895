"""The asgikit error tree.

Every error asgikit raises because of what the client sent or did, or because a call does
not fit the state of a request, response or websocket, is an :class:`AsgikitError`.
An argument of the wrong type or value (a negative limit, an unknown codec name given by
the application) raises the usual ``TypeError``, ``ValueError`` or ``LookupError``::

    AsgikitError
    ├── ClientError                      the client sent something we refuse; has .status_code
    │   ├── BadRequestError              400
    │   │   ├── MalformedHeaderError     a request header that does not parse (Content-Length, ...)
    │   │   ├── InvalidEncodingError     text that does not decode with its charset
    │   │   ├── InvalidJSONError         a body that is not JSON
    │   │   ├── InvalidFormError         a form body that does not parse
    │   │   └── InvalidHostError         a Host header that does not parse
    │   │       └── DisallowedHostError  a host that check_host() does not allow
    │   ├── NotFoundError                404
    │   ├── MethodNotAllowedError        405
    │   ├── ContentTooLargeError         413, with .limit and .option
    │   ├── UnsupportedMediaTypeError    415
    │   └── RangeNotSatisfiableError     416
    ├── ClientDisconnectedError          the client went away; there is nobody to answer
    ├── MissingDistributionError         also an ImportError: an optional distribution is missing
    ├── HeaderValueError                 also a ValueError: the app set a header we must not send
    ├── UnsupportedScopeError            also a TypeError: a Request over a scope it cannot serve
    ├── ExtensionUnavailableError        also a RuntimeError: the server lacks an ASGI extension
    └── StateError                       also a RuntimeError: a call the request's state forbids
        ├── BodyStateError               reading a body that was streamed and not kept, ...
        └── ResponseStateError           responding twice, writing before start, ...

A framework maps a :class:`ClientError` to an HTTP response with ``exc.status_code``
and ``exc.message``, which is safe to show the client: it says what was wrong, with the
limit, and names nothing of the server. ``exc.hint`` is for the developer (the option
that lifts a limit, ...); ``str(exc)`` gives both, for logs. An application raises its
own client errors by subclassing :class:`ClientError` with its own ``status_code``.
Everything else is a bug in the application or a gone client.
"""

from __future__ import annotations

from asgikit.errors._namespace import check_namespace as _check_namespace

_check_namespace()

__all__ = [
    "AsgikitError",
    "BadRequestError",
    "BodyStateError",
    "ClientDisconnectedError",
    "ClientError",
    "ContentTooLargeError",
    "DisallowedHostError",
    "ExtensionUnavailableError",
    "HeaderValueError",
    "InvalidEncodingError",
    "InvalidFormError",
    "InvalidHostError",
    "InvalidJSONError",
    "MalformedHeaderError",
    "MethodNotAllowedError",
    "MissingDistributionError",
    "NotFoundError",
    "RangeNotSatisfiableError",
    "ResponseStateError",
    "StateError",
    "UnsupportedMediaTypeError",
    "UnsupportedScopeError",
]


class AsgikitError(Exception):
    """Base class of every error asgikit raises on purpose."""


class ClientError(AsgikitError):
    """The request is one we refuse. ``status_code`` is the HTTP status to answer with.

    ``message`` is safe to send to the client; ``hint`` (or ``None``) tells the developer
    how to lift the limit or change the check, and is never meant for the client.
    ``str(exc)`` is ``"message (hint)"``.

    .. versionadded:: 0.2.0 ``message`` and ``hint``.
    """

    status_code: int = 400

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message if hint is None else f"{message} ({hint})")
        self.message = message
        self.hint = hint


class BadRequestError(ClientError):
    """400: the request is malformed."""

    status_code = 400


class MalformedHeaderError(BadRequestError):
    """400: a request header does not follow its grammar."""


class InvalidEncodingError(BadRequestError):
    """400: text that does not decode with its declared (or the default) charset."""


class InvalidJSONError(BadRequestError):
    """400: the body is not valid JSON."""


class InvalidFormError(BadRequestError):
    """400: the form body does not parse."""


class InvalidHostError(BadRequestError):
    """400: the Host header (or a trusted forwarded host) is not ``host[:port]``, or there
    is more than one, or none and no server address to fall back on.

    .. versionadded:: 0.2.0
    """


class DisallowedHostError(InvalidHostError):
    """400: the request's host is not one of those given to ``Request.check_host()``.

    .. versionadded:: 0.2.0
    """


class NotFoundError(ClientError):
    """404: there is nothing at this path."""

    status_code = 404


class MethodNotAllowedError(ClientError):
    """405: the method is not supported here; ``allowed`` lists the ones that are."""

    status_code = 405

    def __init__(self, message: str, *, allowed: tuple[str, ...], hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.allowed = allowed


class ContentTooLargeError(ClientError):
    """413: something in the request is over a limit.

    ``limit`` is the limit that was crossed and ``option`` the keyword that lifts it; the
    hint says so (``"max_body_size=10485760"``) unless one is given.
    """

    status_code = 413

    def __init__(self, message: str, *, limit: int, option: str, hint: str | None = None) -> None:
        super().__init__(message, hint=f"{option}={limit}" if hint is None else hint)
        self.limit = limit
        self.option = option


class UnsupportedMediaTypeError(ClientError):
    """415: the body's Content-Type is not one this reader accepts."""

    status_code = 415


class RangeNotSatisfiableError(ClientError):
    """416: no range of the Range header overlaps the representation of ``size`` bytes."""

    status_code = 416

    def __init__(self, message: str, *, size: int, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.size = size


class ClientDisconnectedError(AsgikitError):
    """The client closed the connection before the exchange ended."""


class MissingDistributionError(AsgikitError, ImportError):
    """An optional asgikit distribution is needed and not installed; the message names it."""


class HeaderValueError(AsgikitError, ValueError):
    """The application set a header name or value that must not go on the wire."""


class UnsupportedScopeError(AsgikitError, TypeError):
    """A :class:`~asgikit.requests.Request` was built over a scope that is not ``http`` or
    ``websocket`` (the server's ``lifespan`` scope, most often); the message says what to do."""


class ExtensionUnavailableError(AsgikitError, RuntimeError):
    """A call needs an ASGI extension that the server does not offer for this request
    (``http.response.trailers`` on HTTP/1.1 with hypercorn, ...); the message names it.
    Look before calling with ``request.server_extensions``.

    .. versionadded:: 0.2.0
    """


class StateError(AsgikitError, RuntimeError):
    """A call that the current state of the request, response or websocket forbids."""


class BodyStateError(StateError):
    """The request body cannot be read this way any more (streamed and not kept, ...)."""


class ResponseStateError(StateError):
    """The response cannot do this in its current state (already started, finished, ...)."""
