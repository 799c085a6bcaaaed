"""Python grpcio client: calls a Rust tonic server once per error code and
prints, as one JSON object per line, what Google's Python stack decoded.

Usage: py_client.py HOST:PORT
The Rust test (tests/it/interop/python.rs) checks every line.
"""

import json
import sys

import common  # noqa: F401  (sets up the generated code's import path)
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from common import AuthErrorCode, only_error_info, error_codes


def main():
    target = sys.argv[1]
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for name, _number in error_codes():
            try:
                stub.Check(health_pb2.HealthCheckRequest(), metadata=(("x-reject-with", name),), timeout=10)
                print(json.dumps({"asked": name, "error": "call succeeded"}))
                continue
            except grpc.RpcError as call:
                # Raises ValueError if code or message differ from the details'.
                status = rpc_status.from_call(call)
                if status is None:
                    print(json.dumps({"asked": name, "error": "no grpc-status-details-bin"}))
                    continue
                info, count = only_error_info(status)
                if info is None:
                    print(json.dumps({"asked": name, "error": f"{count} ErrorInfo details"}))
                    continue
                print(json.dumps({
                    "asked": name,
                    "grpc_code": call.code().value[0],
                    "details_code": status.code,
                    "message": call.details(),
                    "details_message": status.message,
                    "reason": info.reason,
                    "domain": info.domain,
                    "metadata": dict(info.metadata),
                    "number": AuthErrorCode.Value(info.reason),
                }, ensure_ascii=False))


if __name__ == "__main__":
    main()
