"""The wire form: ``google.rpc.Status { code, message, details: [ErrorInfo, extra details...] }``.

Encoded by hand, as the crate's ``src/wire/encode.rs`` does, so the bytes are
the crate's exactly: proto3 (empty fields omitted, also inside map entries,
as prost writes them), metadata in key order. Python's protobuf runtime
writes an empty map value as an empty field, which is valid but not the same
bytes. Decoding uses Google's runtime (``google.rpc.status_pb2``).
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence, Tuple

ERROR_INFO_TYPE_URL = "type.googleapis.com/google.rpc.ErrorInfo"
RETRY_INFO_TYPE_URL = "type.googleapis.com/google.rpc.RetryInfo"
HELP_TYPE_URL = "type.googleapis.com/google.rpc.Help"
LOCALIZED_MESSAGE_TYPE_URL = "type.googleapis.com/google.rpc.LocalizedMessage"

# (type URL, encoded value) of one extra detail.
RawAny = Tuple[str, bytes]


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int32/int64 are sign-extended to 64 bits
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _field(tag: int, payload: bytes) -> bytes:
    return bytes((tag,)) + _varint(len(payload)) + payload


def _str_field(tag: int, text: str) -> bytes:
    return _field(tag, text.encode("utf-8")) if text else b""


def _bytes_field(tag: int, data: bytes) -> bytes:
    return _field(tag, data) if data else b""


def encode_error_info(reason: str, domain: str, metadata: Iterable[Tuple[str, str]]) -> bytes:
    """``google.rpc.ErrorInfo`` bytes; ``metadata`` in the order to write (key order)."""
    out = _str_field(0x0A, reason) + _str_field(0x12, domain)
    for key, value in metadata:
        out += _field(0x1A, _str_field(0x0A, key) + _str_field(0x12, value))
    return out


def encode_any(type_url: str, value: bytes) -> bytes:
    return _str_field(0x0A, type_url) + _bytes_field(0x12, value)


def encode_status(
    code: int,
    message: str,
    reason: str,
    domain: str,
    metadata: Mapping[str, str],
    details: Sequence[RawAny],
) -> bytes:
    """The ``grpc-status-details-bin`` payload (before base64): the status with
    the ErrorInfo first (always written, metadata in key order), then the
    extra details as given."""
    out = bytearray()
    if code != 0:
        out += b"\x08" + _varint(code)
    out += _str_field(0x12, message)
    info = encode_error_info(reason, domain, sorted(metadata.items()))
    out += _field(0x1A, encode_any(ERROR_INFO_TYPE_URL, info))
    for type_url, value in details:
        out += _field(0x1A, encode_any(type_url, value))
    return bytes(out)


def encode_duration(seconds: int, nanos: int) -> bytes:
    out = b""
    if seconds:
        out += b"\x08" + _varint(seconds)
    if nanos:
        out += b"\x10" + _varint(nanos)
    return out


def encode_retry_info(seconds: int, nanos: int) -> bytes:
    return _field(0x0A, encode_duration(seconds, nanos))


def encode_help(links: Iterable[Tuple[str, str]]) -> bytes:
    return b"".join(_field(0x0A, _str_field(0x0A, d) + _str_field(0x12, u)) for d, u in links)


def encode_localized_message(locale: str, message: str) -> bytes:
    return _str_field(0x0A, locale) + _str_field(0x12, message)
