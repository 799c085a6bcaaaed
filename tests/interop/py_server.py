"""Python grpcio server: the standard health service, aborting every call
with a google.rpc.Status built by `rpc_status.to_status`, chosen by the
request's `x-case` metadata. Prints its port on the first line of stdout and
serves until stdin closes.

Cases:
  <REASON>         ErrorInfo(reason, auth.error.v1, {"number": N, "lang": "python"})
                   + RetryInfo(2.5 s) + an Any of a type nobody knows
  unknown-reason   ErrorInfo reason "TOKEN_FROM_THE_FUTURE" in auth.error.v1
  foreign-domain   ErrorInfo TOKEN_EXPIRED in "billing.example.com"
  two-domains      foreign ErrorInfo first, then ours (SESSION_EXPIRED)
  garbage-info     an Any typed ErrorInfo whose value is not one
  no-details       a plain abort without details
  bearer           serves if `authorization` is `Bearer fresh`, else aborts
                   with TOKEN_EXPIRED (to test the client's refresh-and-retry)
"""

import json
import os
import sys
from concurrent import futures

import common  # noqa: F401
import grpc
from google.protobuf import any_pb2, duration_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status

from common import AuthErrorCode, DOMAIN

# Each reason's gRPC code, from the shared vectors (the crate's code table),
# not a hand copy.
with open(os.path.join(common.HERE, "..", "vectors", "auth_error_vectors.json"), encoding="utf-8") as f:
    GRPC_CODE = {v["name"]: v["grpc_code"] for v in json.load(f)["vectors"]}


def packed(message):
    any_ = any_pb2.Any()
    any_.Pack(message)
    return any_


def error_info(reason, domain, **metadata):
    return packed(error_details_pb2.ErrorInfo(reason=reason, domain=domain, metadata=metadata))


def status_for(case):
    code = code_pb2.UNAUTHENTICATED
    if case in AuthErrorCode.keys():
        number = AuthErrorCode.Value(case)
        code = GRPC_CODE[case]
        retry = error_details_pb2.RetryInfo(retry_delay=duration_pb2.Duration(seconds=2, nanos=500_000_000))
        unknown = any_pb2.Any(type_url="type.example.com/acme.v1.Unknown", value=b"\x08\x2a")
        details = [error_info(case, DOMAIN, number=str(number), lang="python"), packed(retry), unknown]
        message = f"python says {case} — ünïcödé"
    elif case == "unknown-reason":
        details = [error_info("TOKEN_FROM_THE_FUTURE", DOMAIN)]
        message = "newer server"
    elif case == "foreign-domain":
        details = [error_info("TOKEN_EXPIRED", "billing.example.com")]
        message = "not ours"
    elif case == "two-domains":
        details = [error_info("QUOTA", "billing.example.com"), error_info("SESSION_EXPIRED", DOMAIN)]
        message = "two"
    elif case == "garbage-info":
        details = [any_pb2.Any(type_url="type.googleapis.com/google.rpc.ErrorInfo", value=b"\x0a\x7f\x01")]
        message = "garbage"
    else:
        return None
    return status_pb2.Status(code=code, message=message, details=details)


class Health(health_pb2_grpc.HealthServicer):
    def Check(self, request, context):
        metadata = dict(context.invocation_metadata())
        case = metadata.get("x-case", "")
        if case == "bearer":
            if metadata.get("authorization") == "Bearer fresh":
                return health_pb2.HealthCheckResponse(status=health_pb2.HealthCheckResponse.SERVING)
            info = error_info("TOKEN_EXPIRED", DOMAIN, tokenId="jti-stale")
            status = status_pb2.Status(code=code_pb2.UNAUTHENTICATED, message="token expired", details=[info])
            context.abort_with_status(rpc_status.to_status(status))
        status = status_for(case)
        if status is None:
            context.abort(grpc.StatusCode.UNAUTHENTICATED, "plain, no details")
        context.abort_with_status(rpc_status.to_status(status))


def main():
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    health_pb2_grpc.add_HealthServicer_to_server(Health(), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    sys.stdin.read()  # serve until the Rust test closes our stdin
    server.stop(grace=None)


if __name__ == "__main__":
    main()
