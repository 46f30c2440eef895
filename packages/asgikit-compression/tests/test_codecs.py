"""Each coding: one-shot and incremental output decode to the input, whatever the chunk
boundaries, and every flush makes everything written so far decodable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from asgikit.compression import _codecs, available_codings
from asgikit.compression._codecs import CODECS

CODINGS = ("zstd", "br", "gzip")
Decode = Callable[[str | None, bytes], bytes]

TEXT = b'{"id": 1, "name": "caf\xc3\xa9", "tags": ["a", "b"]}\n' * 200
chunks = st.lists(st.binary(max_size=300) | st.sampled_from([TEXT[:1000], b"x" * 700]), max_size=12)


def test_every_coding_is_available_here() -> None:
    # The dev environment installs both extras: a missing one would skip nothing
    # silently below.
    assert available_codings() == CODINGS


@pytest.mark.parametrize("coding", CODINGS)
def test_one_shot_round_trip_at_every_level(coding: str, decode_as: Decode) -> None:
    codec = CODECS[coding]
    for level in codec.levels:
        data = codec.compress(TEXT, level)
        assert decode_as(coding, data) == TEXT
    assert len(codec.compress(TEXT, codec.default_level)) < len(TEXT) // 5


@pytest.mark.parametrize("coding", CODINGS)
@given(parts=chunks)
def test_stream_round_trip_whatever_the_chunks(
    coding: str, parts: list[bytes], decode_as: Decode
) -> None:
    encoder = CODECS[coding].encoder(CODECS[coding].default_level)
    out = [encoder.encode(part, False) for part in parts]
    out.append(encoder.encode(b"", True))
    assert decode_as(coding, b"".join(out)) == b"".join(parts)


@pytest.mark.parametrize("coding", CODINGS)
@given(parts=chunks)
def test_each_write_is_decodable_as_soon_as_it_is_emitted(
    coding: str, parts: list[bytes], new_decoder: Callable[[str], Any]
) -> None:
    # The property SSE needs: after each emitted chunk the client's decoder has given
    # back exactly the bytes written so far, nothing held back.
    encoder = CODECS[coding].encoder(CODECS[coding].default_level)
    decoder = new_decoder(coding)
    written = b""
    decoded = b""
    for part in parts:
        emitted = encoder.encode(part, False)
        written += part
        decoded += decoder.feed(emitted)
        assert decoded == written
    decoded += decoder.feed(encoder.encode(b"tail", True))
    assert decoded == written + b"tail"


@pytest.mark.parametrize("coding", CODINGS)
def test_streams_are_independent(coding: str, decode_as: Decode) -> None:
    codec = CODECS[coding]
    first, second = codec.encoder(codec.default_level), codec.encoder(codec.default_level)
    a = first.encode(b"a" * 600, False) + first.encode(b"", True)
    b = second.encode(b"b" * 600, False) + second.encode(b"", True)
    assert (decode_as(coding, a), decode_as(coding, b)) == (b"a" * 600, b"b" * 600)


def test_a_coding_whose_module_is_missing_is_left_out(monkeypatch: pytest.MonkeyPatch) -> None:
    assert _codecs._load("asgikit_no_such_module", "another_missing_one") is None
    monkeypatch.setattr(_codecs, "_load", lambda *names: None)
    assert list(_codecs._available()) == ["gzip"]
