"""grpcio server using the auth-error package: the standard health
service's Check raises the AuthError named by the request's ``x-case``
metadata (message, metadata, RetryInfo 2.5 s, a help link), turned into the
status by ``AuthErrorInterceptor``; ``no-details`` aborts plainly. Prints its
port on the first line of stdout and serves until stdin closes.

Usage: python server.py [--aio]
The Rust test (tests/it/interop/companions.rs) decodes every case with the crate.
"""

from __future__ import annotations

import asyncio
import sys
from concurrent import futures
from typing import Any, Optional

import grpc
import grpc.aio

from auth_error import AsyncAuthErrorInterceptor, AuthError, AuthErrorCode, AuthErrorInterceptor

CHECK = "/grpc.health.v1.Health/Check"
SERVING = b"\x08\x01"  # HealthCheckResponse{status: SERVING}


def error_for(case: str) -> Optional[AuthError]:
    code = AuthErrorCode.__members__.get(case)
    if code is None or not code.is_error:
        return None
    return AuthError(
        code,
        f"python says {case} — ünïcödé",
        metadata={"number": str(int(code)), "lang": "python"},
        retry_after=2.5,
        help_links=[("docs", "https://docs.example.com/auth")],
    )


def case_of(context: Any) -> str:
    return str(dict(context.invocation_metadata()).get("x-case", ""))


def check(request: bytes, context: grpc.ServicerContext) -> bytes:
    err = error_for(case_of(context))
    if err is not None:
        raise err
    context.abort(grpc.StatusCode.UNAUTHENTICATED, "plain, no details")


async def check_aio(request: bytes, context: Any) -> bytes:
    err = error_for(case_of(context))
    if err is not None:
        raise err
    await context.abort(grpc.StatusCode.UNAUTHENTICATED, "plain, no details")
    return SERVING  # not reached: abort raises


def handlers(behavior: Any) -> Any:
    method = grpc.unary_unary_rpc_method_handler(behavior, lambda b: b, lambda b: b)
    return grpc.method_handlers_generic_handler("grpc.health.v1.Health", {"Check": method})


def main() -> None:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), interceptors=[AuthErrorInterceptor()])
    server.add_generic_rpc_handlers((handlers(check),))
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    sys.stdin.read()  # serve until the Rust test closes our stdin
    server.stop(grace=None)


async def main_aio() -> None:
    server = grpc.aio.server(interceptors=[AsyncAuthErrorInterceptor()])
    server.add_generic_rpc_handlers((handlers(check_aio),))
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    print(port, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await server.stop(None)


if __name__ == "__main__":
    if "--aio" in sys.argv[1:]:
        asyncio.run(main_aio())
    else:
        main()
