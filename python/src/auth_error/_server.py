"""grpcio servers: a raised :class:`AuthError` becomes the status.

Sync (``grpc.server``)::

    server = grpc.server(executor, interceptors=[AuthErrorInterceptor()])

asyncio (``grpc.aio.server``)::

    server = grpc.aio.server(interceptors=[AsyncAuthErrorInterceptor()])

or, per method (sync or ``async def``), :func:`abort_on_auth_error`::

    class Orders(orders_pb2_grpc.OrdersServicer):
        @abort_on_auth_error
        async def Get(self, request, context):
            raise AuthError(AuthErrorCode.TOKEN_EXPIRED)

Each aborts with :meth:`AuthError.to_status` (the lenient exit: never fails).
By hand it is ``context.abort_with_status(err.to_status())``, awaited on
``grpc.aio``.
"""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, Any, AsyncIterator, Awaitable, Callable, Iterator, Optional, TypeVar

import grpc
import grpc.aio

from ._error import AuthError

F = TypeVar("F", bound=Callable[..., Any])

if TYPE_CHECKING:  # generic in grpc-stubs only
    _SyncInterceptor = grpc.ServerInterceptor[Any, Any]
    _AsyncInterceptor = grpc.aio.ServerInterceptor[Any, Any]
else:
    _SyncInterceptor = grpc.ServerInterceptor
    _AsyncInterceptor = grpc.aio.ServerInterceptor


async def _abort(context: Any, err: AuthError) -> None:
    # grpc.aio's ``abort_with_status`` (missing from grpc-stubs) is this call.
    status = err.to_status()
    await context.abort(status.code, status.details, status.trailing_metadata)


def _wrap_sync(behavior: Callable[..., Any], streaming_response: bool) -> Callable[..., Any]:
    if streaming_response:

        def stream(request: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            try:
                yield from behavior(request, context)
            except AuthError as err:
                context.abort_with_status(err.to_status())

        return stream

    def unary(request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return behavior(request, context)
        except AuthError as err:
            context.abort_with_status(err.to_status())

    return unary


def _wrap_async(behavior: Callable[..., Any], streaming_response: bool) -> Callable[..., Any]:
    if streaming_response:

        async def stream(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> AsyncIterator[Any]:
            try:
                result = behavior(request, context)
                if inspect.isasyncgen(result):
                    async for item in result:
                        yield item
                elif inspect.isawaitable(result):
                    await result
                else:
                    for item in result:
                        yield item
            except AuthError as err:
                await _abort(context, err)

        return stream

    async def unary(request: Any, context: grpc.aio.ServicerContext[Any, Any]) -> Any:
        try:
            result = behavior(request, context)
            return await result if inspect.isawaitable(result) else result
        except AuthError as err:
            await _abort(context, err)

    return unary


def _rewrap(handler: grpc.RpcMethodHandler[Any, Any], wrap: Callable[[Callable[..., Any], bool], Callable[..., Any]]) -> Any:
    kwargs = {
        "request_deserializer": handler.request_deserializer,
        "response_serializer": handler.response_serializer,
    }
    if handler.unary_unary:
        return grpc.unary_unary_rpc_method_handler(wrap(handler.unary_unary, False), **kwargs)
    if handler.unary_stream:
        return grpc.unary_stream_rpc_method_handler(wrap(handler.unary_stream, True), **kwargs)
    if handler.stream_unary:
        return grpc.stream_unary_rpc_method_handler(wrap(handler.stream_unary, False), **kwargs)
    if handler.stream_stream:
        return grpc.stream_stream_rpc_method_handler(wrap(handler.stream_stream, True), **kwargs)
    return handler


class AuthErrorInterceptor(_SyncInterceptor):
    """For ``grpc.server(..., interceptors=[AuthErrorInterceptor()])``: an
    :class:`AuthError` raised by a servicer method aborts the call with
    :meth:`AuthError.to_status`."""

    def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Optional[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> Optional[grpc.RpcMethodHandler[Any, Any]]:
        handler = continuation(handler_call_details)
        if handler is None:
            return None
        rewrapped: grpc.RpcMethodHandler[Any, Any] = _rewrap(handler, _wrap_sync)
        return rewrapped


class AsyncAuthErrorInterceptor(_AsyncInterceptor):
    """For ``grpc.aio.server(interceptors=[AsyncAuthErrorInterceptor()])``:
    an :class:`AuthError` raised by a servicer coroutine aborts the call with
    ``await _abort(context, err)``."""

    async def intercept_service(
        self,
        continuation: Callable[[grpc.HandlerCallDetails], Awaitable[grpc.RpcMethodHandler[Any, Any]]],
        handler_call_details: grpc.HandlerCallDetails,
    ) -> grpc.RpcMethodHandler[Any, Any]:
        handler = await continuation(handler_call_details)
        if handler is None:
            return handler
        rewrapped: grpc.RpcMethodHandler[Any, Any] = _rewrap(handler, _wrap_async)
        return rewrapped


def abort_on_auth_error(method: F) -> F:
    """Decorates a servicer method (``def`` or ``async def``, unary or
    streaming response): an :class:`AuthError` it raises aborts the call with
    :meth:`AuthError.to_status`."""
    if inspect.iscoroutinefunction(method):

        @functools.wraps(method)
        async def coroutine(self: Any, request: Any, context: Any) -> Any:
            try:
                return await method(self, request, context)
            except AuthError as err:
                await _abort(context, err)

        return coroutine  # type: ignore[return-value]

    if inspect.isasyncgenfunction(method):

        @functools.wraps(method)
        async def agen(self: Any, request: Any, context: Any) -> AsyncIterator[Any]:
            try:
                async for item in method(self, request, context):
                    yield item
            except AuthError as err:
                await _abort(context, err)

        return agen  # type: ignore[return-value]

    if inspect.isgeneratorfunction(method):

        @functools.wraps(method)
        def gen(self: Any, request: Any, context: Any) -> Iterator[Any]:
            try:
                yield from method(self, request, context)
            except AuthError as err:
                context.abort_with_status(err.to_status())

        return gen  # type: ignore[return-value]

    @functools.wraps(method)
    def plain(self: Any, request: Any, context: Any) -> Any:
        try:
            return method(self, request, context)
        except AuthError as err:
            context.abort_with_status(err.to_status())

    return plain  # type: ignore[return-value]
