"""The error value: :class:`AuthError`, how it leaves (``to_status``), and how
it is read back (``from_rpc_error``, ``check_rpc_error``)."""

from __future__ import annotations

import collections
import datetime
from typing import Any as _AnyT
from typing import Dict, Iterable, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Type, Union

import grpc
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError
from google.rpc import error_details_pb2, status_pb2

from . import _rules, _wire
from ._generated import DOMAIN, AuthErrorCode, ClientAction

GRPC_DETAILS_METADATA_KEY = "grpc-status-details-bin"

_GRPC_BY_NUMBER: Dict[int, grpc.StatusCode] = {s.value[0]: s for s in grpc.StatusCode}


class HelpLink(NamedTuple):
    """One link of a ``google.rpc.Help`` extra detail."""

    description: str
    url: str


class LocalizedMessage(NamedTuple):
    """A ``google.rpc.LocalizedMessage`` extra detail."""

    locale: str
    message: str


class _Status(
    collections.namedtuple("_Status", ("code", "details", "trailing_metadata")),
    grpc.Status,
):
    """A ``grpc.Status`` (what ``grpc_status.rpc_status.to_status`` returns)."""


class ExtractError(ValueError):
    """What the strict reader (:meth:`AuthError.check_rpc_error`) found wrong.

    ``kind`` is one of ``malformed``, ``code_mismatch``, ``message_mismatch``,
    ``invalid_error_info``, ``unknown_reason``, ``no_auth_error``,
    ``extra_error_info``; ``index`` is the detail's position where one is
    concerned, ``reason`` the unknown reason (a peer's text: withheld when it
    looks like a credential, cut at 256 characters).
    """

    def __init__(self, kind: str, text: str, *, index: Optional[int] = None, reason: Optional[str] = None) -> None:
        super().__init__(text)
        self.kind = kind
        self.index = index
        self.reason = reason


Detail = Union[any_pb2.Any, Tuple[str, bytes]]
Delay = Union[datetime.timedelta, float, int]


def _raw(detail: Detail) -> Tuple[str, bytes]:
    if isinstance(detail, any_pb2.Any):
        return (detail.type_url, detail.value)
    type_url, value = detail
    return (str(type_url), bytes(value))


def _duration_parts(delay: Delay) -> Tuple[int, int]:
    if isinstance(delay, datetime.timedelta):
        micros = (delay.days * 86400 + delay.seconds) * 1_000_000 + delay.microseconds
        if micros < 0:
            raise ValueError("retry_after must not be negative")
        return micros // 1_000_000, (micros % 1_000_000) * 1000
    if delay < 0:
        raise ValueError("retry_after must not be negative")
    nanos_total = round(delay * 1_000_000_000)
    return nanos_total // 1_000_000_000, nanos_total % 1_000_000_000


def normalize_duration(seconds: int, nanos: int) -> Tuple[int, int]:
    """prost-types' ``Duration::normalize``: nanos within a second, same sign as seconds."""
    if nanos <= -1_000_000_000 or nanos >= 1_000_000_000:
        carry = abs(nanos) // 1_000_000_000 * (1 if nanos > 0 else -1)
        seconds += carry
        nanos -= carry * 1_000_000_000
    if seconds < 0 < nanos:
        seconds += 1
        nanos -= 1_000_000_000
    elif nanos < 0 < seconds:
        seconds -= 1
        nanos += 1_000_000_000
    return seconds, nanos


def _non_negative(seconds: int, nanos: int) -> Optional[datetime.timedelta]:
    seconds, nanos = normalize_duration(seconds, nanos)
    if seconds < 0 or nanos < 0:
        return None
    if seconds >= datetime.timedelta.max.days * 86400:
        return datetime.timedelta.max
    return datetime.timedelta(seconds=seconds, microseconds=nanos // 1000)


class AuthError(Exception):
    """An authentication or authorization failure: an :class:`AuthErrorCode`,
    a message, a domain, metadata and extra details.

    A servicer may raise it: :class:`AuthErrorInterceptor` (grpcio) or
    :class:`AsyncAuthErrorInterceptor` (grpc.aio), or the
    :func:`abort_on_auth_error` decorator, turn it into the status. Or abort
    yourself::

        context.abort_with_status(err.to_status())          # grpc (sync)
        await context.abort_with_status(err.to_status())    # grpc.aio

    Read one on the client with :meth:`from_rpc_error` (lenient) or
    :meth:`check_rpc_error` (strict).
    """

    def __init__(
        self,
        code: AuthErrorCode,
        message: Optional[str] = None,
        *,
        metadata: Optional[Mapping[str, str]] = None,
        domain: str = DOMAIN,
        retry_after: Optional[Delay] = None,
        help_links: Iterable[Tuple[str, str]] = (),
        localized_message: Optional[Tuple[str, str]] = None,
        details: Iterable[Detail] = (),
    ) -> None:
        code = AuthErrorCode(code)
        self._code: Optional[AuthErrorCode] = code
        self._reason = code.name
        self._message = code.description if message is None else message
        self._domain = domain
        self._metadata: Dict[str, str] = dict(sorted((metadata or {}).items()))
        self._details: List[Tuple[str, bytes]] = []
        self._grpc_code: grpc.StatusCode = code.grpc_code
        if retry_after is not None:
            self.with_retry_after(retry_after)
        for description, url in help_links:
            self.add_help_link(description, url)
        if localized_message is not None:
            self.add_localized_message(*localized_message)
        for detail in details:
            self.add_detail(detail)
        super().__init__(self._reason, self._message)

    # --- building ---------------------------------------------------------

    def with_metadata(self, key: str, value: str) -> AuthError:
        """Sets a metadata entry, replacing one under the same key; returns
        ``self``. (``with_`` replaces and ``add_`` appends, as in the Rust
        crate: the same name means the same in every language.)"""
        self._metadata[key] = value
        self._metadata = dict(sorted(self._metadata.items()))
        return self

    def add_detail(self, detail: Detail) -> AuthError:
        """Adds an extra detail of any type (an ``Any`` or ``(type_url, value)``); returns ``self``."""
        self._details.append(_raw(detail))
        return self

    def with_retry_after(self, delay: Delay) -> AuthError:
        """Sets the ``google.rpc.RetryInfo`` (how long to wait before retrying:
        seconds or a timedelta), replacing one already there, as the crate's
        ``with_retry_after`` does."""
        seconds, nanos = _duration_parts(delay)
        self._details = [d for d in self._details if d[0] != _wire.RETRY_INFO_TYPE_URL]
        return self.add_detail((_wire.RETRY_INFO_TYPE_URL, _wire.encode_retry_info(seconds, nanos)))

    def add_help_link(self, description: str, url: str) -> AuthError:
        """Adds a ``google.rpc.Help`` with one link."""
        return self.add_detail((_wire.HELP_TYPE_URL, _wire.encode_help([(description, url)])))

    def add_localized_message(self, locale: str, message: str) -> AuthError:
        """Adds a ``google.rpc.LocalizedMessage`` (BCP 47 locale, e.g. ``"fr-CH"``)."""
        return self.add_detail((_wire.LOCALIZED_MESSAGE_TYPE_URL, _wire.encode_localized_message(locale, message)))

    # --- reading ------------------------------------------------------------

    @property
    def code(self) -> Optional[AuthErrorCode]:
        """The code; ``None`` only for an error read leniently whose reason this
        version does not know (a newer peer): see :attr:`reason`."""
        return self._code

    @property
    def reason(self) -> str:
        """The ErrorInfo reason as received (``"TOKEN_EXPIRED"``)."""
        return self._reason

    @property
    def message(self) -> str:
        return self._message

    @property
    def domain(self) -> str:
        return self._domain

    @property
    def metadata(self) -> Dict[str, str]:
        """The ErrorInfo metadata, in key order (a copy)."""
        return dict(self._metadata)

    @property
    def details(self) -> List[any_pb2.Any]:
        """The extra details in order, every type (also ErrorInfos of other domains), as ``Any``."""
        return [any_pb2.Any(type_url=t, value=v) for t, v in self._details]

    @property
    def grpc_code(self) -> grpc.StatusCode:
        """The gRPC code: the code's, or for a read error the status'."""
        return self._grpc_code

    @property
    def http_status(self) -> int:
        """The HTTP status of the code (500 for an unknown reason)."""
        return self._code.http_status if self._code is not None else 500

    @property
    def retry_after(self) -> Optional[datetime.timedelta]:
        """The delay of the first ``google.rpc.RetryInfo`` extra detail that decodes
        (none when it has no delay or a negative one)."""
        for type_url, value in self._details:
            if type_url != _wire.RETRY_INFO_TYPE_URL:
                continue
            try:
                info = error_details_pb2.RetryInfo.FromString(value)
            except DecodeError:
                continue
            if not info.HasField("retry_delay"):
                return None
            return _non_negative(info.retry_delay.seconds, info.retry_delay.nanos)
        return None

    @property
    def help_links(self) -> List[HelpLink]:
        """The links of every ``google.rpc.Help`` extra detail, in order."""
        links: List[HelpLink] = []
        for type_url, value in self._details:
            if type_url == _wire.HELP_TYPE_URL:
                try:
                    links += [HelpLink(l.description, l.url) for l in error_details_pb2.Help.FromString(value).links]
                except DecodeError:
                    continue
        return links

    @property
    def localized_message(self) -> Optional[LocalizedMessage]:
        """The first ``google.rpc.LocalizedMessage`` extra detail, if any."""
        for type_url, value in self._details:
            if type_url == _wire.LOCALIZED_MESSAGE_TYPE_URL:
                try:
                    m = error_details_pb2.LocalizedMessage.FromString(value)
                except DecodeError:
                    continue
                return LocalizedMessage(m.locale, m.message)
        return None

    @property
    def client_action(self) -> Optional[ClientAction]:
        """What the client should do: the code's action, or, when the error
        carries a retry delay, the code table's refinement
        (``client_action_with_retry_delay``). ``None`` for a reason this version
        does not know: act on the plain gRPC code then."""
        if self._code is None:
            return None
        if self.retry_after is not None:
            return self._code.client_action_with_retry_delay
        return self._code.client_action

    def _shown_message(self) -> str:
        if _rules._passes(_rules.check_text, "message", self._message):
            return self._message
        return self._code.description if self._code is not None else _rules.WITHHELD

    def __str__(self) -> str:
        return f"{self._reason}: {self._shown_message()}"

    def __repr__(self) -> str:
        """What the lenient exit would send (its own ``sanitize`` on a copy):
        entries and extra details it leaves out are counted, never printed."""
        shown = self._parts()
        _rules.sanitize(shown, self._description())
        redacted = len(self._metadata) - len(shown.metadata)
        extra = f", redacted_metadata={redacted}" if redacted else ""
        left_out = len(self._details) - len(shown.details)
        extra_details = f", redacted_details={left_out}" if left_out else ""
        return (
            f"AuthError(reason={self._reason!r}, message={shown.message!r}, domain={shown.domain!r}, "
            f"metadata={shown.metadata!r}{extra}, details={len(shown.details)}{extra_details})"
        )

    # --- leaving ------------------------------------------------------------

    def _parts(self) -> _rules.Parts:
        return _rules.Parts(
            code=self._grpc_code.value[0],
            reason=self._reason,
            message=self._message,
            domain=self._domain,
            metadata=dict(self._metadata),
            details=list(self._details),
        )

    def encode_details(self) -> bytes:
        """The exact ``grpc-status-details-bin`` payload (before base64) that
        :meth:`try_to_status` attaches: deterministic, the crate's bytes.
        Raises :class:`AttachError` for what the rules refuse."""
        is_error = self._code is not None and self._code.is_error
        return _rules.check(self._parts(), self._description(), is_error)

    def _description(self) -> str:
        return self._code.description if self._code is not None else ""

    def try_to_status(self) -> grpc.Status:
        """The status, strictly: raises :class:`AttachError` for anything that
        would not be sent faithfully (NO_AUTH_ERROR, an invalid domain or
        metadata key, a secret key, a credential-looking value, message or
        extra detail text, a second ErrorInfo, over 4096 bytes)."""
        details = self.encode_details()
        return _Status(self._grpc_code, self._message, ((GRPC_DETAILS_METADATA_KEY, details),))

    def to_status(self) -> grpc.Status:
        """The status, leniently: never raises. What breaks a rule is left out
        (the message replaced by the code's description, metadata entries and
        extra details dropped, an invalid domain replaced by DOMAIN, past 4096
        bytes extra details, then metadata, then the message's tail dropped);
        NO_AUTH_ERROR (or an unknown reason) fails closed as UNKNOWN without
        details. Same code, message and ``google.rpc.Status`` as
        ``grpc_status.rpc_status.to_status(self.to_rpc_status())``, with the
        crate's deterministic bytes."""
        if self._code is None or not self._code.is_error:
            passes = _rules._passes(_rules.check_text, "message", self._message)
            message = self._message if passes else (self._description() or _rules.WITHHELD)
            return _Status(grpc.StatusCode.UNKNOWN, message, ())
        parts = self._parts()
        details = _rules.sanitize(parts, self._code.description)
        return _Status(self._grpc_code, parts.message, ((GRPC_DETAILS_METADATA_KEY, details),))

    def to_rpc_status(self) -> status_pb2.Status:
        """The ``google.rpc.Status`` that :meth:`to_status` sends (lenient rules applied)."""
        status = self.to_status()
        for key, value in status.trailing_metadata:
            if key == GRPC_DETAILS_METADATA_KEY and isinstance(value, bytes):
                return status_pb2.Status.FromString(value)
        return status_pb2.Status(code=status.code.value[0], message=status.details)

    def to_http_body(self) -> Dict[str, _AnyT]:
        """The AIP-193 HTTP error body, as a dict (see :meth:`to_http_json`)."""
        from . import _http

        return _http.to_http_body(self)

    def to_http_json(self) -> bytes:
        """The AIP-193 HTTP error body as JSON bytes: the crate's
        ``to_http_json`` byte for byte (lenient rules applied)."""
        from . import _http

        return _http.to_http_json(self)

    @classmethod
    def from_http_json(
        cls, body: Union[bytes, str], *, domain: str = DOMAIN, strict: bool = False
    ) -> AuthError:
        """Reads an AIP-193 HTTP error body. Raises :class:`JsonError` when it
        is not one, or has no ErrorInfo of ``domain`` (or says NO_AUTH_ERROR).
        An unknown reason (a newer server) is kept as :attr:`reason` with
        :attr:`code` ``None``, unless ``strict``."""
        from . import _http

        return _http.from_http_json(cls, body, domain, strict)

    # --- reading from a peer ----------------------------------------------------

    @classmethod
    def _read(
        cls,
        code: Optional[AuthErrorCode],
        reason: str,
        grpc_code: grpc.StatusCode,
        message: str,
        domain: str,
        metadata: Mapping[str, str],
        details: Sequence[Tuple[str, bytes]],
    ) -> AuthError:
        err = cls.__new__(cls)
        Exception.__init__(err, reason, message)
        err._code = code
        err._reason = reason
        err._message = message
        err._domain = domain
        err._metadata = dict(sorted(metadata.items()))
        err._details = list(details)
        err._grpc_code = grpc_code
        return err

    @classmethod
    def from_status_details(
        cls,
        details: bytes,
        *,
        code: Union[grpc.StatusCode, int, None] = None,
        message: Optional[str] = None,
        domain: str = DOMAIN,
    ) -> Optional[AuthError]:
        """Leniently reads ``grpc-status-details-bin`` bytes (``code`` and
        ``message``: the call's, when known; else the embedded ones). ``None``
        when the bytes are not a ``google.rpc.Status``, or carry no ErrorInfo of
        ``domain``, or say NO_AUTH_ERROR. An unknown reason is kept."""
        try:
            return _scan_and_build(cls, details, code, message, domain, strict=False)
        except ExtractError:
            return None

    @classmethod
    def check_status_details(
        cls,
        details: bytes,
        *,
        code: Union[grpc.StatusCode, int, None] = None,
        message: Optional[str] = None,
        domain: str = DOMAIN,
    ) -> Optional[AuthError]:
        """Strictly reads ``grpc-status-details-bin`` bytes, as the crate's
        ``check_auth_error``: ``None`` for no details or no ErrorInfo of
        ``domain``; :class:`ExtractError` for malformed bytes, a code or
        message differing from the call's, a garbled ErrorInfo before ours, a
        second ErrorInfo of the domain, an unknown reason or NO_AUTH_ERROR."""
        if not details:
            return None
        return _scan_and_build(cls, details, code, message, domain, strict=True)

    @classmethod
    def from_rpc_error(cls, error: object, *, domain: str = DOMAIN) -> Optional[AuthError]:
        """The auth error of a failed call (a ``grpc.RpcError`` of a sync
        call, or a ``grpc.aio.AioRpcError``), leniently; ``None`` when it
        carries none. Never raises on a peer's bytes."""
        read = _call_parts(error)
        if read is None:
            return None
        code, message, details = read
        if details is None:
            return None
        return cls.from_status_details(details, code=code, message=message, domain=domain)

    @classmethod
    def check_rpc_error(cls, error: object, *, domain: str = DOMAIN) -> Optional[AuthError]:
        """The auth error of a failed call, strictly (see :meth:`check_status_details`)."""
        read = _call_parts(error)
        if read is None:
            return None
        code, message, details = read
        if details is None:
            return None
        return cls.check_status_details(details, code=code, message=message, domain=domain)


def _call_parts(error: object) -> Optional[Tuple[grpc.StatusCode, str, Optional[bytes]]]:
    """(code, message, details bytes) of a failed grpcio call, sync or aio."""
    try:
        code = error.code()  # type: ignore[attr-defined]
        message = error.details()  # type: ignore[attr-defined]
        trailing = error.trailing_metadata()  # type: ignore[attr-defined]
    except Exception:  # not a call error, or a call that has not finished
        return None
    if not isinstance(code, grpc.StatusCode):
        return None
    details: Optional[bytes] = None
    for item in trailing or ():
        key, value = item[0], item[1]
        if key == GRPC_DETAILS_METADATA_KEY and isinstance(value, bytes):
            details = value
            break
    return code, message if isinstance(message, str) else "", details


def _scan_and_build(
    cls: Type[AuthError],
    data: bytes,
    code: Union[grpc.StatusCode, int, None],
    message: Optional[str],
    domain: str,
    strict: bool,
) -> Optional[AuthError]:
    try:
        status = status_pb2.Status.FromString(data)
    except Exception:  # DecodeError, and whatever else hostile bytes may provoke
        raise ExtractError("malformed", "error details are not a google.rpc.Status") from None
    number = code.value[0] if isinstance(code, grpc.StatusCode) else code
    if strict and number is not None and status.code != number:
        raise ExtractError(
            "code_mismatch", f"code in error details ({status.code}) differs from the status code ({number})"
        )
    if strict and message is not None and status.message != message:
        raise ExtractError(
            "message_mismatch",
            f"message in error details (`{_rules.peer_text(status.message)}`) differs from the status message "
            f"(`{_rules.peer_text(message)}`)",
        )
    found: Optional[Tuple[int, error_details_pb2.ErrorInfo]] = None
    second: Optional[int] = None
    garbled: Optional[int] = None
    for index, detail in enumerate(status.details):
        if detail.type_url != _wire.ERROR_INFO_TYPE_URL or second is not None:
            continue
        try:
            info = error_details_pb2.ErrorInfo.FromString(detail.value)
        except Exception:
            if garbled is None:
                garbled = index
            continue
        if info.domain == domain:
            if found is None:
                found = (index, info)
            else:
                second = index
    if strict and garbled is not None and (found is None or garbled < found[0]):
        raise ExtractError(
            "invalid_error_info",
            f"detail {garbled} is typed google.rpc.ErrorInfo but does not decode as one",
            index=garbled,
        )
    if found is None:
        return None
    if strict and second is not None:
        raise ExtractError(
            "extra_error_info",
            f"detail {second} is a second ErrorInfo of the domain, but a status carries exactly one",
            index=second,
        )
    index, info = found
    reason = info.reason
    known: Optional[AuthErrorCode] = AuthErrorCode.__members__.get(reason)
    if known is not None and not known.is_error:
        if strict:
            raise ExtractError("no_auth_error", "error details carry NO_AUTH_ERROR, which is not an error")
        return None
    if known is None:
        shown = _rules.peer_text(reason)
        if strict:
            raise ExtractError("unknown_reason", f"unknown auth error reason `{shown}`", reason=shown)
        reason = shown
    grpc_code = _GRPC_BY_NUMBER.get(number if number is not None else status.code, grpc.StatusCode.UNKNOWN)
    extra_details = [(d.type_url, d.value) for i, d in enumerate(status.details) if i != index]
    shown_message = status.message if message is None else message
    return cls._read(known, reason, grpc_code, shown_message, domain, dict(info.metadata), extra_details)
