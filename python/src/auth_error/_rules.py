"""Every rule about what may leave the process, as the crate's ``src/rules``
writes them, applied by every exit here (``to_status``, ``try_to_status``,
``encode_details``, ``to_http_json``):

=========================================  ==========================  ====================================
rule                                       strict (``check``)          lenient (``sanitize``)
=========================================  ==========================  ====================================
``NO_AUTH_ERROR`` (or an unknown reason)   ``no_auth_error``           the exit fails closed (UNKNOWN / 500)
domain: 1-253 bytes, no whitespace/ctrl    ``invalid_domain``          ``DOMAIN`` instead
metadata key not ``[a-z][a-zA-Z0-9-_]*``   ``invalid_metadata_key``    entry left out
metadata key names a secret                ``secret_metadata_key``     entry left out
metadata value looks like a credential     ``credential_in_metadata``  entry left out
message looks like a credential            ``credential_in_text``      the code's description instead
extra detail text looks like a credential     ``credential_in_text``      extra detail left out
an extra detail is another ErrorInfo           ``extra_error_info``        extra detail left out
encoded status over 4096 bytes             ``too_large``               extra details (last first), metadata
                                                                       (last key first), then the message's
                                                                       tail left out
=========================================  ==========================  ====================================
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2

from . import _credentials, _wire
from ._generated import DOMAIN

MAX_DETAILS_LEN = 4096
"""Bound on the encoded google.rpc.Status (the grpc-status-details-bin value before base64)."""
MAX_METADATA_KEY_LEN = 64
"""Bound on a metadata key (AIP-193)."""
MAX_DOMAIN_LEN = 253
"""Bound on the domain, in bytes."""

WITHHELD = "[withheld: looks like a credential]"


class AttachError(ValueError):
    """Which rule an error broke, named by key or field, never by value.

    ``kind`` is one of ``no_auth_error``, ``invalid_domain``,
    ``invalid_metadata_key``, ``secret_metadata_key``,
    ``credential_in_metadata``, ``credential_in_text``, ``extra_error_info``,
    ``too_large``.
    """

    def __init__(
        self,
        kind: str,
        text: str,
        *,
        key: Optional[str] = None,
        field: Optional[str] = None,
        length: Optional[int] = None,
    ) -> None:
        super().__init__(text)
        self.kind = kind
        self.key = key
        self.field = field
        self.length = length


def is_valid_domain(domain: str) -> bool:
    if domain == DOMAIN:
        return True
    return (
        bool(domain)
        and len(domain.encode("utf-8", "surrogatepass")) <= MAX_DOMAIN_LEN
        and not any(c.isspace() or unicodedata.category(c) == "Cc" for c in domain)
    )


def is_valid_key(key: str) -> bool:
    data = key.encode("utf-8", "surrogatepass")
    if len(data) > MAX_METADATA_KEY_LEN or not data or not (0x61 <= data[0] <= 0x7A):
        return False
    return all(chr(b).isascii() and (chr(b).isalnum() or b in (0x2D, 0x5F)) for b in data[1:])


def _escape(key: str) -> str:
    return key.encode("unicode_escape").decode("ascii")


def check_key(key: str) -> None:
    if _credentials.is_secret_key(key):
        raise AttachError(
            "secret_metadata_key", f"metadata key `{_escape(key)}` names a secret and is never sent", key=key
        )
    if not is_valid_key(key):
        raise AttachError(
            "invalid_metadata_key",
            f"invalid metadata key `{_escape(key)}`: expected [a-z][a-zA-Z0-9-_]* of at most 64 characters",
            key=key,
        )


def check_entry(key: str, value: str) -> None:
    check_key(key)
    if _credentials.looks_like_credential(value):
        raise AttachError(
            "credential_in_metadata",
            f"metadata value of `{_escape(key)}` looks like a credential and is never sent",
            key=key,
        )


def check_text(field: str, text: str) -> None:
    if _credentials.looks_like_credential(text):
        raise AttachError("credential_in_text", f"the {field} looks like a credential and is never sent", field=field)


def check_detail(type_url: str, value: bytes) -> None:
    """Exactly one ErrorInfo; the text of a standard extra detail passes the text
    rule. A type this package does not know (or whose bytes do not decode) is
    opaque and sent as given."""
    if type_url == _wire.ERROR_INFO_TYPE_URL:
        raise AttachError(
            "extra_error_info", "an extra detail is a google.rpc.ErrorInfo, but a status carries exactly one"
        )
    try:
        if type_url == _wire.LOCALIZED_MESSAGE_TYPE_URL:
            check_text("localized message", error_details_pb2.LocalizedMessage.FromString(value).message)
        elif type_url == _wire.HELP_TYPE_URL:
            for link in error_details_pb2.Help.FromString(value).links:
                check_text("help link", link.description)
                check_text("help link", link.url)
    except DecodeError:
        pass


def peer_text(text: str) -> str:
    """A peer's text as an error may hold it: withheld when it looks like a
    credential, cut at 256 characters."""
    if _credentials.looks_like_credential(text):
        return WITHHELD
    return text if len(text) <= 256 else text[:256] + "\u2026"


@dataclass
class Parts:
    """What an exit sends: the parts after the rules."""

    code: int  # the gRPC code
    reason: str
    message: str
    domain: str
    metadata: Dict[str, str]
    details: List[Tuple[str, bytes]]

    def encode(self) -> bytes:
        return _wire.encode_status(self.code, self.message, self.reason, self.domain, self.metadata, self.details)


def check(parts: Parts, description: str, is_error: bool) -> bytes:
    """Strict: raises the first rule ``parts`` break, else returns the encoding."""
    del description
    if not is_error:
        raise AttachError("no_auth_error", "NO_AUTH_ERROR is not an error and cannot be attached to a status")
    if not is_valid_domain(parts.domain):
        raise AttachError(
            "invalid_domain",
            f"invalid error domain ({len(parts.domain.encode('utf-8', 'surrogatepass'))} bytes): "
            "expected 1 to 253 bytes without whitespace or control characters",
            length=len(parts.domain.encode("utf-8", "surrogatepass")),
        )
    check_text("message", parts.message)
    for key in sorted(parts.metadata):
        check_entry(key, parts.metadata[key])
    for type_url, value in parts.details:
        check_detail(type_url, value)
    encoded = parts.encode()
    if len(encoded) > MAX_DETAILS_LEN:
        raise AttachError(
            "too_large",
            f"encoded error details are {len(encoded)} bytes, over the bound of {MAX_DETAILS_LEN} bytes",
            length=len(encoded),
        )
    return encoded


def _passes(fn: object, *args: object) -> bool:
    try:
        fn(*args)  # type: ignore[operator]
    except AttachError:
        return False
    return True


def sanitize(parts: Parts, description: str) -> bytes:
    """Lenient: leaves out of ``parts`` (in place) what breaks a rule and
    returns the encoding, within the size bound."""
    if not is_valid_domain(parts.domain):
        parts.domain = DOMAIN
    if not _passes(check_text, "message", parts.message):
        parts.message = description
    parts.metadata = {k: v for k, v in sorted(parts.metadata.items()) if _passes(check_entry, k, v)}
    parts.details = [d for d in parts.details if _passes(check_detail, d[0], d[1])]
    while True:
        encoded = parts.encode()
        over = len(encoded) - MAX_DETAILS_LEN
        if over <= 0:
            return encoded
        if parts.details:
            parts.details.pop()
            continue
        if parts.metadata:
            del parts.metadata[max(parts.metadata)]
            continue
        # Only the message is left to shorten: cut its UTF-8 at a character boundary.
        data = parts.message.encode("utf-8")
        end = max(len(data) - over, 0)
        while end > 0 and (data[end] & 0xC0) == 0x80:
            end -= 1
        parts.message = data[:end].decode("utf-8")
