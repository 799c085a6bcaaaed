"""tests/vectors/auth_error_vectors.json: every value decodes to the stated
fields, and encoding the same error gives the same bytes."""

from __future__ import annotations

import base64
import importlib.metadata
from typing import Any, Dict

import grpc
from google.rpc import code_pb2, status_pb2
from grpc_status import rpc_status

from conftest import details_of
import auth_error
from auth_error import DOMAIN, VERSION, AuthError, AuthErrorCode, ClientAction


def unb64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)


def test_version_is_the_distribution_version() -> None:
    # VERSION, as the TypeScript package names it; __version__ as Python's
    # convention does. Both in the public API (__all__ lists VERSION, so
    # `from auth_error import VERSION` passes mypy --strict).
    assert VERSION == auth_error.__version__ == importlib.metadata.version("auth-error")
    assert "VERSION" in auth_error.__all__


def test_the_table_is_the_vectors(vectors: Dict[str, Any]) -> None:
    assert vectors["domain"] == DOMAIN
    rows = vectors["vectors"]
    assert [(c.name, c.value) for c in AuthErrorCode] == [(v["name"], v["number"]) for v in rows]
    for v in rows:
        code = AuthErrorCode[v["name"]]
        assert code.grpc_code.value[0] == v["grpc_code"]
        assert code.grpc_status_name == v["grpc_status"] == code_pb2.Code.Name(v["grpc_code"])
        assert code.http_status == v["http_status"]
        assert code.client_action is ClientAction(v["client_action"])
        assert code.client_action == v["client_action"]


def test_every_vector_decodes_and_encodes_to_the_same_bytes(vectors: Dict[str, Any]) -> None:
    checked = 0
    for v in vectors["vectors"]:
        code = AuthErrorCode[v["name"]]
        built = AuthError(code, vectors["message"], metadata=vectors["metadata"])
        if v["grpc_status_details_bin"] is None:
            assert not code.is_error
            assert built.to_status().code is grpc.StatusCode.UNKNOWN
            continue
        raw = unb64(v["grpc_status_details_bin"])
        for read in (
            AuthError.check_status_details(raw, code=v["grpc_code"], message=vectors["message"]),
            AuthError.from_status_details(raw),
        ):
            assert read is not None
            assert read.code is code
            assert read.reason == v["name"]
            assert read.message == vectors["message"]
            assert read.domain == vectors["domain"]
            assert read.metadata == vectors["metadata"]
            assert read.details == []
            assert read.grpc_code.value[0] == v["grpc_code"]
            assert read.http_status == v["http_status"]
            assert read.client_action == v["client_action"]
            # Read back and sent again: the same bytes.
            assert read.encode_details() == raw
        assert built.encode_details() == raw
        status = built.to_status()
        assert status.code.value[0] == v["grpc_code"]
        assert status.details == vectors["message"]
        assert status.trailing_metadata == (("grpc-status-details-bin", raw),)
        assert built.try_to_status().trailing_metadata == status.trailing_metadata
        # What grpc_status.rpc_status.to_status makes of the same google.rpc.Status.
        theirs = rpc_status.to_status(built.to_rpc_status())
        assert (theirs.code, theirs.details) == (status.code, status.details)
        assert status_pb2.Status.FromString(details_of(theirs)) == status_pb2.Status.FromString(raw)
        checked += 1
    assert checked == len(vectors["vectors"]) - 1
