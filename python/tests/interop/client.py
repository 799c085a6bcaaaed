"""grpcio client using the auth-error package: calls a Rust tonic server once
per case (the ``x-case`` metadata) on the standard health service's Check and
prints, one JSON object per line, what ``AuthError.from_rpc_error`` (and the
strict ``check_rpc_error``) decoded.

Usage: python client.py HOST:PORT CASE...
The Rust test (tests/it/interop/companions.rs) checks every line.
"""

from __future__ import annotations

import json
import sys
from typing import Any, Dict, List

import grpc

from auth_error import AuthError, ExtractError

CHECK = "/grpc.health.v1.Health/Check"


def line(case: str, call: grpc.RpcError) -> Dict[str, Any]:
    out: Dict[str, Any] = {"case": case, "grpc_code": call.code().value[0]}
    try:
        strict = AuthError.check_rpc_error(call)
        out["strict"] = "ok" if strict is not None else "none"
    except ExtractError as e:
        out["strict"] = e.kind
    err = AuthError.from_rpc_error(call)
    if err is None:
        out["auth"] = None
        out["message"] = call.details()
        return out
    retry = err.retry_after
    out.update(
        code=None if err.code is None else int(err.code),
        reason=err.reason,
        message=err.message,
        domain=err.domain,
        metadata=err.metadata,
        retry_after_ms=None if retry is None else round(retry.total_seconds() * 1000),
        help_links=[list(link) for link in err.help_links],
        client_action=None if err.client_action is None else err.client_action.value,
        details=len(err.details),
    )
    return out


def main(argv: List[str]) -> None:
    target, cases = argv[0], argv[1:]
    with grpc.insecure_channel(target) as channel:
        check = channel.unary_unary(CHECK, None, None)
        for case in cases:
            try:
                check(b"", metadata=(("x-case", case),), timeout=10)
                print(json.dumps({"case": case, "error": "call succeeded"}))
            except grpc.RpcError as call:
                print(json.dumps(line(case, call), ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
