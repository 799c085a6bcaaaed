"""Checks tests/vectors/auth_error_vectors.json with Google's Python protobuf
runtime: every value decodes as google.rpc.Status with one ErrorInfo whose
reason, domain and metadata are as stated, the reason maps to the stated
number through Python's generated AuthErrorCode, and re-serializing the
decoded message (deterministically) gives the same bytes.

Usage: python tests/interop/check_vectors.py   (exit 1 on the first mismatch)
"""

import base64
import json
import os
import sys

import common
from google.rpc import code_pb2, error_details_pb2, status_pb2

from common import AuthErrorCode, ERROR_INFO_TYPE

PATH = os.path.join(common.HERE, "..", "vectors", "auth_error_vectors.json")


def fail(name, what):
    sys.exit(f"vector {name}: {what}")


def main():
    with open(PATH, encoding="utf-8") as f:
        data = json.load(f)
    vectors = data["vectors"]
    if [v["name"] for v in vectors] != list(AuthErrorCode.keys()):
        fail("*", "names differ from the proto compiled by protoc")
    checked = 0
    for v in vectors:
        name = v["name"]
        if AuthErrorCode.Value(name) != v["number"]:
            fail(name, f"number {v['number']} != {AuthErrorCode.Value(name)}")
        if code_pb2.Code.Value(v["grpc_status"]) != v["grpc_code"]:
            fail(name, "grpc_status and grpc_code disagree")
        b64 = v["grpc_status_details_bin"]
        if b64 is None:
            if v["number"] != 0:
                fail(name, "only NO_AUTH_ERROR has no value")
            continue
        raw = base64.b64decode(b64 + "=" * (-len(b64) % 4), validate=True)
        status = status_pb2.Status.FromString(raw)
        if status.code != v["grpc_code"] or status.message != data["message"]:
            fail(name, f"embedded code/message {status.code} {status.message!r}")
        if len(status.details) != 1 or status.details[0].type_url != ERROR_INFO_TYPE:
            fail(name, "expected exactly one ErrorInfo")
        info = error_details_pb2.ErrorInfo()
        status.details[0].Unpack(info)
        if info.reason != name or info.domain != data["domain"] or dict(info.metadata) != data["metadata"]:
            fail(name, f"ErrorInfo differs: {info}")
        # Build the same message from scratch with Python's runtime and compare bytes.
        fresh_info = error_details_pb2.ErrorInfo(reason=name, domain=data["domain"], metadata=data["metadata"])
        fresh = status_pb2.Status(code=v["grpc_code"], message=data["message"])
        fresh.details.add().Pack(fresh_info, deterministic=True)
        if fresh.SerializeToString(deterministic=True) != raw:
            fail(name, "Python's deterministic encoding differs from the vector's bytes")
        checked += 1
    print(f"{checked} passed, 0 failed")


if __name__ == "__main__":
    main()
