"""Response compression for any ASGI app: gzip, brotli and zstd, whole bodies and
streams, safe for Server-Sent Events.

``CompressionMiddleware(app)`` wraps ``send``: it negotiates a coding from the request's
``Accept-Encoding`` (server preference zstd, br, gzip), compresses whole bodies in one go
and streams chunk by chunk with a flush per body message, and leaves alone what must not
be compressed (see :func:`plan_response`). An asgikit app opts one response out with
``request.response.compress = False`` before responding.

gzip comes from the standard library; br needs the ``brotli`` extra
(``pip install asgikit-compression[brotli]``) and zstd the ``zstd`` extra before Python
3.14. A coding whose module is missing is not offered (:func:`available_codings`).

.. versionadded:: 0.1.0
"""

from __future__ import annotations

from asgikit.compression._codecs import CODECS
from asgikit.compression._middleware import (
    DEFAULT_CODINGS,
    DEFAULT_MINIMUM_SIZE,
    DEFAULT_THREAD_THRESHOLDS,
    CompressionMiddleware,
    CompressionOptions,
)
from asgikit.compression._plan import (
    Plan,
    compressed_headers,
    is_already_compressed,
    is_compressible,
    plan_response,
    varied_headers,
)

__all__ = [
    "DEFAULT_CODINGS",
    "DEFAULT_MINIMUM_SIZE",
    "DEFAULT_THREAD_THRESHOLDS",
    "CompressionMiddleware",
    "CompressionOptions",
    "Plan",
    "available_codings",
    "compressed_headers",
    "is_already_compressed",
    "is_compressible",
    "plan_response",
    "varied_headers",
]


def available_codings() -> tuple[str, ...]:
    """The codings this interpreter can produce, in the default order of preference:
    ``gzip`` always, ``br`` with the ``brotli`` extra, ``zstd`` on Python 3.14+ or with
    the ``zstd`` extra."""
    return tuple(coding for coding in DEFAULT_CODINGS if coding in CODECS)
