"""Shared by the Python interop scripts: import paths and expectations."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "gen")
if not os.path.isdir(os.path.join(GEN, "auth")):
    sys.exit(
        "error: generated Python code missing in tests/interop/gen; "
        "run `bash scripts/test.sh` (it runs grpcio-tools' protoc first)"
    )
sys.path.insert(0, GEN)

from auth.error.v1 import auth_error_pb2  # noqa: E402

AuthErrorCode = auth_error_pb2.AuthErrorCode
DOMAIN = "auth.error.v1"
ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo"


def error_codes():
    """Every AuthErrorCode value but NO_AUTH_ERROR, in proto order."""
    return [(name, number) for name, number in AuthErrorCode.items() if number != 0]


def only_error_info(status):
    """The one ErrorInfo detail of a google.rpc.Status, unpacked, and how many
    ErrorInfo details there were: (ErrorInfo or None, count)."""
    from google.rpc import error_details_pb2

    infos = [d for d in status.details if d.type_url == ERROR_INFO_TYPE]
    info = error_details_pb2.ErrorInfo()
    if len(infos) != 1 or not infos[0].Unpack(info):
        return None, len(infos)
    return info, 1
