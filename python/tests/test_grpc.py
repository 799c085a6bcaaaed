"""Reading statuses: lenient and strict, hostile bytes, and a real grpcio
server and client on loopback (sync and aio), with the interceptors."""

from __future__ import annotations

import asyncio
from concurrent import futures
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Iterator, List, Optional, Tuple

import grpc
import grpc.aio
import pytest
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2

from conftest import details_of
from auth_error import (
    DOMAIN,
    AsyncAuthErrorInterceptor,
    AuthError,
    AuthErrorCode,
    AuthErrorInterceptor,
    ClientAction,
    ExtractError,
    abort_on_auth_error,
)

EI = "type.googleapis.com/google.rpc.ErrorInfo"


def status_bytes(code: int, message: str, *details: Tuple[str, bytes]) -> bytes:
    s = status_pb2.Status(code=code, message=message)
    for t, v in details:
        s.details.add(type_url=t, value=v)
    data: bytes = s.SerializeToString()
    return data


def info(reason: str, domain: str = DOMAIN, **metadata: str) -> Tuple[str, bytes]:
    return (EI, error_details_pb2.ErrorInfo(reason=reason, domain=domain, metadata=metadata).SerializeToString())


GARBAGE = [b"\xff", b"\x0a\x7f\x01", b"\x1a\x05\x0a\x03abc", bytes(range(256)), b"\x08" + b"\xff" * 11, b"\x4b" * 200]


@pytest.mark.parametrize("data", GARBAGE)
def test_garbage_bytes_are_none_leniently_and_typed_strictly(data: bytes) -> None:
    assert AuthError.from_status_details(data) is None
    try:
        assert AuthError.check_status_details(data) is None
    except ExtractError as e:
        assert e.kind in ("malformed", "invalid_error_info")


def test_lenient_and_strict_reading() -> None:
    ours = info("TOKEN_EXPIRED", tokenId="jti-1")
    # No details, no ErrorInfo of ours.
    assert AuthError.from_status_details(b"") is None
    assert AuthError.check_status_details(b"") is None
    foreign = status_bytes(16, "m", info("TOKEN_EXPIRED", "billing.example.com"))
    assert AuthError.from_status_details(foreign) is None
    assert AuthError.check_status_details(foreign) is None
    theirs = AuthError.from_status_details(foreign, domain="billing.example.com")
    assert theirs is not None and theirs.code is AuthErrorCode.TOKEN_EXPIRED
    # Unknown reason: kept leniently, refused strictly.
    newer = status_bytes(16, "m", info("TOKEN_FROM_THE_FUTURE"))
    err = AuthError.from_status_details(newer)
    assert err is not None and err.code is None and err.reason == "TOKEN_FROM_THE_FUTURE"
    assert err.client_action is None and err.grpc_code is grpc.StatusCode.UNAUTHENTICATED
    with pytest.raises(ExtractError) as caught:
        AuthError.check_status_details(newer)
    assert caught.value.kind == "unknown_reason" and caught.value.reason == "TOKEN_FROM_THE_FUTURE"
    # NO_AUTH_ERROR.
    none = status_bytes(16, "m", info("NO_AUTH_ERROR"))
    assert AuthError.from_status_details(none) is None
    with pytest.raises(ExtractError, match="NO_AUTH_ERROR"):
        AuthError.check_status_details(none)
    # Mismatched code or message: ignored leniently.
    data = status_bytes(16, "m", ours)
    assert AuthError.from_status_details(data, code=7, message="other") is not None
    with pytest.raises(ExtractError) as caught:
        AuthError.check_status_details(data, code=7)
    assert caught.value.kind == "code_mismatch"
    with pytest.raises(ExtractError) as caught:
        AuthError.check_status_details(data, code=16, message="other")
    assert caught.value.kind == "message_mismatch"
    # A garbled ErrorInfo before ours; a second of ours.
    garbled = status_bytes(16, "m", (EI, b"\x0a\x7f\x01"), ours)
    read = AuthError.from_status_details(garbled)
    assert read is not None and read.metadata == {"tokenId": "jti-1"} and len(read.details) == 1
    with pytest.raises(ExtractError) as caught:
        AuthError.check_status_details(garbled)
    assert (caught.value.kind, caught.value.index) == ("invalid_error_info", 0)
    two = status_bytes(16, "m", ours, info("SESSION_EXPIRED"))
    first = AuthError.from_status_details(two)
    assert first is not None and first.code is AuthErrorCode.TOKEN_EXPIRED
    with pytest.raises(ExtractError) as caught:
        AuthError.check_status_details(two)
    assert (caught.value.kind, caught.value.index) == ("extra_error_info", 1)
    # A credential-looking unknown reason is withheld, never stored.
    hostile = status_bytes(16, "m", info("Bearer s3cr3t-token"))
    withheld = AuthError.from_status_details(hostile)
    assert withheld is not None and "s3cr3t" not in withheld.reason


def test_with_replaces_and_add_appends_as_in_rust() -> None:
    err = AuthError(AuthErrorCode.ACCOUNT_LOCKED)
    err.with_metadata("tenantId", "a").with_metadata("tenantId", "b")
    assert err.metadata == {"tenantId": "b"}
    err.with_retry_after(60).with_retry_after(timedelta(minutes=15))
    retry = [d for d in err.details if d.type_url.endswith("google.rpc.RetryInfo")]
    assert len(retry) == 1 and err.retry_after == timedelta(minutes=15)
    err.add_help_link("one", "https://e.com/1").add_help_link("two", "https://e.com/2")
    assert len([d for d in err.details if d.type_url.endswith("google.rpc.Help")]) == 2


def test_companions_and_client_action() -> None:
    locked = AuthError(AuthErrorCode.ACCOUNT_LOCKED)
    assert locked.client_action is ClientAction.CONTACT_ADMINISTRATOR
    later = AuthError(AuthErrorCode.ACCOUNT_LOCKED, retry_after=timedelta(minutes=15))
    assert later.client_action is ClientAction.RETRY_LATER
    status = later.to_status()
    read = AuthError.check_status_details(details_of(status), code=status.code, message=status.details)
    assert read is not None and read.retry_after == timedelta(minutes=15)
    assert read.client_action is ClientAction.RETRY_LATER
    unknown = any_pb2.Any(type_url="type.example.com/acme.v1.Unknown", value=b"\x08\x2a")
    err = AuthError(AuthErrorCode.INVALID_SCOPE, details=[unknown], metadata={"requiredScopes": "a b"})
    back = AuthError.from_status_details(details_of(err.to_status()))
    assert back is not None and back.details == [unknown]


# --- a real server and client on loopback ---------------------------------------

SERVICE = "test.Auth"


def _identity(b: bytes) -> bytes:
    return b


if TYPE_CHECKING:  # generic in grpc-stubs only
    _Generic = grpc.GenericRpcHandler[Any, Any]
else:
    _Generic = grpc.GenericRpcHandler


class _Handlers(_Generic):
    def __init__(self, unary: Any, stream: Any) -> None:
        self._unary = grpc.unary_unary_rpc_method_handler(unary, _identity, _identity)
        self._stream = grpc.unary_stream_rpc_method_handler(stream, _identity, _identity)

    def service(self, details: grpc.HandlerCallDetails) -> Optional[grpc.RpcMethodHandler[Any, Any]]:
        method: str = details.method
        if method == f"/{SERVICE}/Unary":
            return self._unary
        if method == f"/{SERVICE}/Stream":
            return self._stream
        return None


def _error(request: bytes) -> AuthError:
    return AuthError(AuthErrorCode[request.decode()], "über", metadata={"tenantId": "acme"}, retry_after=2.5)


def _unary(request: bytes, context: grpc.ServicerContext) -> bytes:
    raise _error(request)


def _stream(request: bytes, context: grpc.ServicerContext) -> Iterator[bytes]:
    yield b"first"
    raise _error(request)


def _check(rpc_error: grpc.RpcError, code: AuthErrorCode) -> None:
    err = AuthError.check_rpc_error(rpc_error)
    assert err is not None
    assert err.code is code and err.message == "über" and err.metadata == {"tenantId": "acme"}
    assert err.retry_after == timedelta(seconds=2.5)
    lenient = AuthError.from_rpc_error(rpc_error)
    assert lenient is not None and lenient.code is code


def test_sync_server_with_the_interceptor() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=2), interceptors=[AuthErrorInterceptor()])
    server.add_generic_rpc_handlers((_Handlers(_unary, _stream),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
            unary = channel.unary_unary(f"/{SERVICE}/Unary", None, None)
            stream = channel.unary_stream(f"/{SERVICE}/Stream", None, None)
            for code in (AuthErrorCode.TOKEN_EXPIRED, AuthErrorCode.INVALID_SCOPE, AuthErrorCode.PASSWORD_EXPIRED):
                with pytest.raises(grpc.RpcError) as caught:
                    unary(code.name.encode(), timeout=10)
                assert caught.value.code() is code.grpc_code
                _check(caught.value, code)
                with pytest.raises(grpc.RpcError) as caught:
                    list(stream(code.name.encode(), timeout=10))
                _check(caught.value, code)
            # A plain failure: no auth error, never an exception.
            with pytest.raises(grpc.RpcError) as caught:
                channel.unary_unary(f"/{SERVICE}/Nope", None, None)(b"", timeout=10)
            assert AuthError.from_rpc_error(caught.value) is None
            assert AuthError.check_rpc_error(caught.value) is None
    finally:
        server.stop(None)
    assert AuthError.from_rpc_error(ValueError("not a call")) is None


class _Decorated:
    @abort_on_auth_error
    async def unary(self, request: bytes, context: Any) -> bytes:
        raise _error(request)

    @abort_on_auth_error
    async def stream(self, request: bytes, context: Any) -> Any:
        yield b"first"
        raise _error(request)


async def _aio_round(interceptors: List[Any], unary: Any, stream: Any) -> None:
    server = grpc.aio.server(interceptors=interceptors)
    server.add_generic_rpc_handlers((_Handlers(unary, stream),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            for code in (AuthErrorCode.SESSION_REVOKED, AuthErrorCode.ACCOUNT_LOCKED):
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    await channel.unary_unary(f"/{SERVICE}/Unary", None, None)(code.name.encode(), timeout=10)
                _check(caught.value, code)
                with pytest.raises(grpc.aio.AioRpcError) as caught:
                    async for _ in channel.unary_stream(f"/{SERVICE}/Stream", None, None)(code.name.encode(), timeout=10):
                        pass
                _check(caught.value, code)
    finally:
        await server.stop(None)


def test_aio_server_with_the_interceptor() -> None:
    async def unary(request: bytes, context: Any) -> bytes:
        raise _error(request)

    async def stream(request: bytes, context: Any) -> Any:
        yield b"first"
        raise _error(request)

    asyncio.run(_aio_round([AsyncAuthErrorInterceptor()], unary, stream))


def test_aio_server_with_the_decorator() -> None:
    d = _Decorated()
    asyncio.run(_aio_round([], d.unary, d.stream))
