"""Python grpcio client for a Rust tonic server behind BearerAuthLayer.

Usage: py_bearer_client.py HOST:PORT CASES_JSON
CASES_JSON is a list of [name, authorization-or-null]. Prints one JSON object
per case: what Google's Python stack decoded (rpc_status.from_call).
The Rust test (tests/it/interop/python.rs) checks every line.
"""

import json
import sys

import common  # noqa: F401  (sets up the generated code's import path)
import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from common import AuthErrorCode, only_error_info


def main():
    target, cases = sys.argv[1], json.loads(sys.argv[2])
    with grpc.insecure_channel(target) as channel:
        stub = health_pb2_grpc.HealthStub(channel)
        for name, authorization in cases:
            metadata = () if authorization is None else (("authorization", authorization),)
            try:
                _, call = stub.Check.with_call(health_pb2.HealthCheckRequest(), metadata=metadata, timeout=10)
                subject = dict(call.initial_metadata()).get("x-subject")
                print(json.dumps({"case": name, "ok": True, "subject": subject}))
                continue
            except grpc.RpcError as call:
                status = rpc_status.from_call(call)
                if status is None:
                    print(json.dumps({"case": name, "ok": False, "grpc_code": call.code().value[0]}))
                    continue
                info, count = only_error_info(status)
                if info is None:
                    print(json.dumps({"case": name, "error": f"{count} ErrorInfo details"}))
                    continue
                print(json.dumps({
                    "case": name,
                    "ok": False,
                    "grpc_code": call.code().value[0],
                    "reason": info.reason,
                    "number": AuthErrorCode.Value(info.reason),
                    "domain": info.domain,
                    "metadata": dict(info.metadata),
                }))


if __name__ == "__main__":
    main()
