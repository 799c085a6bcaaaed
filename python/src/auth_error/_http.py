"""The AIP-193 HTTP/JSON error body, as the crate's ``src/rest/json.rs`` and
``src/rest/body.rs`` write and read it: compact JSON, ``"@type"`` first and
then the fields in sorted order, extra details in their proto3 JSON form, any
other detail as ``{"@type": ..., "value": "<base64>"}``.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from typing import TYPE_CHECKING, Any, Dict, List, Optional, Tuple, Type, Union

from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2

from . import _rules, _wire
from ._generated import DOMAIN, AuthErrorCode

if TYPE_CHECKING:
    from ._error import AuthError

_MAX_DURATION_SECONDS = 315_576_000_000
_DURATION = re.compile(r"(-?)([0-9]+)(?:\.([0-9]+))?s\Z")


class JsonError(ValueError):
    """Why an HTTP error body could not be read as an AuthError.

    ``kind`` is one of ``invalid`` (not JSON or not of the AIP-193 shape),
    ``no_error_info`` (no ErrorInfo of the domain), ``unknown_reason``
    (strict reading only; ``reason`` holds it), ``no_auth_error``.
    """

    def __init__(self, kind: str, text: str, *, reason: Optional[str] = None) -> None:
        super().__init__(text)
        self.kind = kind
        self.reason = reason


def duration_json(seconds: int, nanos: int) -> Optional[str]:
    """proto3 JSON of a Duration (``"1.5s"``), normalized first; ``None``
    outside ``google.protobuf.Duration``'s range."""
    from ._error import normalize_duration

    seconds, nanos = normalize_duration(seconds, nanos)
    if abs(seconds) > _MAX_DURATION_SECONDS:
        return None
    sign = "-" if seconds < 0 or nanos < 0 else ""
    secs, nanos = abs(seconds), abs(nanos)
    if nanos == 0:
        return f"{sign}{secs}s"
    return f"{sign}{secs}.{nanos:09d}".rstrip("0") + "s"


def parse_duration_json(text: str) -> Optional[Tuple[int, int]]:
    """prost-types' Duration parser: ``-?digits(.digits)?s``, fraction cut at 9 digits."""
    m = _DURATION.match(text)
    if not m or not text.isascii():
        return None
    seconds = int(m.group(2))
    if seconds > (1 << 63) - 1:
        return None
    frac = (m.group(3) or "")[:9]
    if m.group(3) is not None and not frac:
        return None
    nanos = int(frac.ljust(9, "0")) if frac else 0
    if m.group(1):
        return -seconds, -nanos
    return seconds, nanos


def _bytes_form(type_url: str, value: bytes) -> Dict[str, Any]:
    return {"@type": type_url, "value": base64.b64encode(value).decode("ascii")}


def _error_info_json(reason: str, domain: str, metadata: Dict[str, str]) -> Dict[str, Any]:
    return {
        "@type": _wire.ERROR_INFO_TYPE_URL,
        "domain": domain,
        "metadata": dict(sorted(metadata.items())),
        "reason": reason,
    }


def detail_json(type_url: str, value: bytes) -> Dict[str, Any]:
    """The JSON form of an extra detail (the crate's ``Detail::from_any``)."""
    try:
        if type_url == _wire.ERROR_INFO_TYPE_URL:
            info = error_details_pb2.ErrorInfo.FromString(value)
            return _error_info_json(info.reason, info.domain, dict(info.metadata))
        if type_url == _wire.RETRY_INFO_TYPE_URL:
            retry = error_details_pb2.RetryInfo.FromString(value)
            if not retry.HasField("retry_delay"):
                return {"@type": type_url}
            text = duration_json(retry.retry_delay.seconds, retry.retry_delay.nanos)
            return _bytes_form(type_url, value) if text is None else {"@type": type_url, "retryDelay": text}
        if type_url == _wire.HELP_TYPE_URL:
            links = error_details_pb2.Help.FromString(value).links
            return {"@type": type_url, "links": [{"description": l.description, "url": l.url} for l in links]}
        if type_url == _wire.LOCALIZED_MESSAGE_TYPE_URL:
            m = error_details_pb2.LocalizedMessage.FromString(value)
            return {"@type": type_url, "locale": m.locale, "message": m.message}
    except (DecodeError, ValueError):
        pass
    return _bytes_form(type_url, value)


def _dumps(body: Dict[str, Any]) -> bytes:
    # serde_json's compact form: no spaces, non-ASCII as UTF-8, control
    # characters as \u00xx (lower-case hex) or their short escapes.
    return json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def to_http_body(err: AuthError) -> Dict[str, Any]:
    code = err.code
    if code is None or not code.is_error:
        # Fails closed. (The crate sends the message as is here; this package
        # applies the text rule to it, as the gRPC exit does.)
        passes = _rules._passes(_rules.check_text, "message", err.message)
        message = err.message if passes else (code.description if code is not None else _rules.WITHHELD)
        return {"error": {"code": 500, "message": message, "status": "UNKNOWN"}}
    parts = err._parts()
    _rules.sanitize(parts, code.description)
    details: List[Dict[str, Any]] = [_error_info_json(code.name, parts.domain, parts.metadata)]
    details += [detail_json(t, v) for t, v in parts.details]
    return {
        "error": {
            "code": code.http_status,
            "details": details,
            "message": parts.message,
            "status": code.grpc_status_name,
        }
    }


def to_http_json(err: AuthError) -> bytes:
    return _dumps(to_http_body(err))


# --- reading ------------------------------------------------------------------


def _invalid(what: str) -> JsonError:
    return JsonError("invalid", f"not an AIP-193 error body: {what}")


def _string(obj: Dict[str, Any], key: str) -> Optional[str]:
    v = obj.get(key, "")
    return v if isinstance(v, str) else None


def _string_map(obj: Dict[str, Any], key: str) -> Optional[Dict[str, str]]:
    v = obj.get(key, {})
    if not isinstance(v, dict) or not all(isinstance(x, str) for x in v.values()):
        return None
    return dict(v)


def _error_info_parts(d: Dict[str, Any]) -> Optional[Tuple[str, str, Dict[str, str]]]:
    """Reason, domain and metadata of a typed ErrorInfo object (the crate's
    ``Detail::from_object``: an object with ``value`` stays in bytes form)."""
    if d.get("@type") != _wire.ERROR_INFO_TYPE_URL or "value" in d:
        return None
    reason, domain, metadata = _string(d, "reason"), _string(d, "domain"), _string_map(d, "metadata")
    if reason is None or domain is None or metadata is None:
        return None
    return reason, domain, metadata


def _to_raw(d: Dict[str, Any]) -> Optional[Tuple[str, bytes]]:
    """The crate's ``Detail::to_any``: the ``Any`` a detail object stands for, if it can be known."""
    type_url = d.get("@type")
    if "value" in d or not isinstance(type_url, str):
        value = d.get("value")
        if not isinstance(type_url, str) or not isinstance(value, str):
            return None
        try:
            return type_url, base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
    if type_url == _wire.ERROR_INFO_TYPE_URL:
        parts = _error_info_parts(d)
        if parts is None:
            return None
        reason, domain, metadata = parts
        return type_url, _wire.encode_error_info(reason, domain, sorted(metadata.items()))
    if type_url == _wire.RETRY_INFO_TYPE_URL:
        if "retryDelay" not in d:
            return type_url, b""
        delay = d["retryDelay"]
        parsed = parse_duration_json(delay) if isinstance(delay, str) else None
        return None if parsed is None else (type_url, _wire.encode_retry_info(*parsed))
    if type_url == _wire.HELP_TYPE_URL:
        links = d.get("links", [])
        if not isinstance(links, list):
            return None
        pairs = []
        for link in links:
            if not isinstance(link, dict):
                return None
            desc, url = _string(link, "description"), _string(link, "url")
            if desc is None or url is None:
                return None
            pairs.append((desc, url))
        return type_url, _wire.encode_help(pairs)
    if type_url == _wire.LOCALIZED_MESSAGE_TYPE_URL:
        locale, message = _string(d, "locale"), _string(d, "message")
        if locale is None or message is None:
            return None
        return type_url, _wire.encode_localized_message(locale, message)
    return None


def from_http_json(cls: Type[AuthError], body: Union[bytes, str], domain: str, strict: bool) -> AuthError:
    import grpc

    try:
        data = json.loads(body)
    except (ValueError, TypeError, RecursionError) as e:
        # The place, never the content (a refused value may be a secret).
        where = f" at line {e.lineno} column {e.colno}" if isinstance(e, json.JSONDecodeError) else ""
        raise _invalid(f"malformed JSON{where}") from None
    if not isinstance(data, dict) or not isinstance(data.get("error"), dict):
        raise _invalid("a value of the wrong type or shape (expected {\"error\": {...}})")
    error = data["error"]
    code = error.get("code", 0)
    if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code <= 65535:
        raise _invalid("error.code is not an HTTP status")
    message = error.get("message", "")
    if not isinstance(message, str) or not isinstance(error.get("status", ""), str):
        raise _invalid("error.message and error.status must be strings")
    details = error.get("details", [])
    if not isinstance(details, list) or not all(isinstance(d, dict) for d in details):
        raise _invalid("a detail is not a JSON object")
    index = None
    for i, d in enumerate(details):
        if d.get("@type") == _wire.ERROR_INFO_TYPE_URL and d.get("domain") == domain:
            index = i
            break
    if index is None:
        raise JsonError("no_error_info", "no ErrorInfo of the requested domain in the error body")
    parts = _error_info_parts(details[index])
    if parts is None:
        raise _invalid(
            "the ErrorInfo of the domain is malformed (reason, domain and metadata values must be strings)"
        )
    reason, _, metadata = parts
    known = AuthErrorCode.__members__.get(reason)
    if known is not None and not known.is_error:
        raise JsonError("no_auth_error", "the error body carries NO_AUTH_ERROR, which is not an error")
    if known is None:
        shown = _rules.peer_text(reason)
        if strict:
            raise JsonError("unknown_reason", f"unknown auth error reason `{shown}`", reason=shown)
        reason = shown
    extra_details = []
    for i, d in enumerate(details):
        if i == index:
            continue
        raw = _to_raw(d)
        if raw is not None:
            extra_details.append(raw)
    grpc_code = known.grpc_code if known is not None else grpc.StatusCode.UNKNOWN
    return cls._read(known, reason, grpc_code, message, domain, metadata, extra_details)
