"""The credential rules, against the cases the crate writes to
tests/vectors/auth_error_rules.json, and applied by every exit."""

from __future__ import annotations

import base64
import json
from typing import Any, Dict

import grpc
import pytest

from conftest import details_of
from auth_error import (
    MAX_DETAILS_LEN,
    AttachError,
    AuthError,
    AuthErrorCode,
    is_secret_key,
    looks_like_credential,
)
from auth_error import _generated

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl"


def test_the_key_list_is_the_crates(rules: Dict[str, Any]) -> None:
    assert sorted(_generated.SECRET_KEYS) == sorted(rules["secret_keys"])
    assert list(_generated.SECRET_KEY_PREFIXES) == rules["secret_key_prefixes"]
    assert _generated.KEY_SEPARATORS == rules["key_separators"]


def test_key_cases(rules: Dict[str, Any]) -> None:
    assert rules["key_cases"], "no key cases"
    for case in rules["key_cases"]:
        assert is_secret_key(case["key"]) is case["secret"], case


def test_text_cases(rules: Dict[str, Any]) -> None:
    assert rules["text_cases"], "no text cases"
    for case in rules["text_cases"]:
        assert looks_like_credential(case["text"]) is case["credential"], case


def test_a_host_that_decodes_to_an_opening_brace_is_not_a_header() -> None:
    # ``ewoi`` is base64url of ``{\n"``: a host name is not a JOSE header
    # (the crate's secrets::tests of the same name).
    for value in (
        "https://ewoi.example.com",
        "https://ewaa.example.com/a.b",
        "ewoi.example.com",
        "ICB7.example.com",
    ):
        assert not looks_like_credential(value), value
    for header in ('{"alg":"HS256"}', '{\n  "alg": "ES256"\n}', ' { "typ" : "JWT"}'):
        b64 = base64.urlsafe_b64encode(header.encode()).rstrip(b"=").decode()
        jws = f"{b64}.eyJzdWIiOiJ4In0.c2ln"
        assert looks_like_credential(jws), (header, jws)
    assert looks_like_credential("eyJA.b.c")


def test_every_secret_key_in_every_spelling(rules: Dict[str, Any]) -> None:
    for key in rules["secret_keys"]:
        for spelled in (key, key.upper(), "x-" + key, "X_" + key, "-".join(key), key + "."):
            assert is_secret_key(spelled), spelled
        assert not is_secret_key(key + "id")


def sent(err: AuthError) -> AuthError:
    """What a peer reads back from the lenient status."""
    status = err.to_status()
    read = AuthError.check_status_details(details_of(status), code=status.code, message=status.details)
    assert read is not None
    return read


@pytest.mark.parametrize(
    "kind,err",
    [
        ("no_auth_error", AuthError(AuthErrorCode.NO_AUTH_ERROR)),
        ("invalid_domain", AuthError(AuthErrorCode.TOKEN_EXPIRED, domain="has space")),
        ("invalid_domain", AuthError(AuthErrorCode.TOKEN_EXPIRED, domain="")),
        ("invalid_metadata_key", AuthError(AuthErrorCode.TOKEN_EXPIRED, metadata={"Bad Key": "x"})),
        ("secret_metadata_key", AuthError(AuthErrorCode.TOKEN_EXPIRED, metadata={"X-Auth-Token": "x"})),
        ("secret_metadata_key", AuthError(AuthErrorCode.TOKEN_EXPIRED, metadata={"accessToken": "x"})),
        ("credential_in_metadata", AuthError(AuthErrorCode.TOKEN_EXPIRED, metadata={"note": "Bearer abc"})),
        ("credential_in_text", AuthError(AuthErrorCode.TOKEN_EXPIRED, f"token={JWT}")),
        ("credential_in_text", AuthError(AuthErrorCode.TOKEN_EXPIRED, help_links=[("see", f"https://e.com/?t={JWT}")])),
        ("credential_in_text", AuthError(AuthErrorCode.TOKEN_EXPIRED, localized_message=("en", "Bearer s3cr3t-12"))),
        ("extra_error_info", AuthError(AuthErrorCode.TOKEN_EXPIRED, details=[("type.googleapis.com/google.rpc.ErrorInfo", b"")])),
        ("too_large", AuthError(AuthErrorCode.TOKEN_EXPIRED, "m" * 5000)),
    ],
)
def test_strict_refuses_and_never_names_the_value(kind: str, err: AuthError) -> None:
    with pytest.raises(AttachError) as caught:
        err.try_to_status()
    assert caught.value.kind == kind
    assert "abc" not in str(caught.value) and "eyJ" not in str(caught.value) and "s3cr3t" not in str(caught.value)
    with pytest.raises(AttachError):
        err.encode_details()


def test_lenient_leaves_out_what_the_rules_refuse() -> None:
    err = AuthError(
        AuthErrorCode.TOKEN_EXPIRED,
        f"expired: {JWT}",
        domain="bad domain",
        metadata={"tenantId": "acme", "password": "hunter2", "note": "Bearer abc", "Bad": "x"},
        help_links=[("ok", "https://e.com"), ("leak", f"https://e.com/#{JWT}")],
        details=[("type.googleapis.com/google.rpc.ErrorInfo", b"\n\x01A")],
    )
    read = sent(err)
    assert read.code is AuthErrorCode.TOKEN_EXPIRED
    assert read.message == "the bearer token has expired"
    assert read.domain == "auth.error.v1"
    assert read.metadata == {"tenantId": "acme"}
    assert [tuple(link) for link in read.help_links] == [("ok", "https://e.com")]
    # The same in the JSON body.
    body = json.loads(err.to_http_json())
    assert body["error"]["message"] == "the bearer token has expired"
    assert body["error"]["details"][0]["metadata"] == {"tenantId": "acme"}
    assert len(body["error"]["details"]) == 2
    text = err.to_http_json().decode()
    for secret in ("hunter2", "eyJ", "Bearer abc"):
        assert secret not in text and secret not in repr(err) and secret not in str(err)


def test_repr_shows_what_the_lenient_exit_sends() -> None:
    err = AuthError(
        AuthErrorCode.TOKEN_EXPIRED,
        "m",
        domain="bad domain",
        metadata={"Bad Key": "visible-1", "xApiKey": "visible-2", "tenantId": "acme"},
    )
    shown = repr(err)
    for hidden in ("Bad Key", "visible-1", "xApiKey", "visible-2", "bad domain"):
        assert hidden not in shown, shown
    assert "'tenantId': 'acme'" in shown and "redacted_metadata=2" in shown
    assert "auth.error.v1" in shown


def test_lenient_size_bound_drops_companions_then_metadata_then_the_tail() -> None:
    err = AuthError(
        AuthErrorCode.ACCOUNT_LOCKED,
        "é" * 3000,
        metadata={"a": "1" * 500, "b": "2" * 500},
        retry_after=60,
    )
    status = err.to_status()
    details = details_of(status)
    assert len(details) <= MAX_DETAILS_LEN
    read = AuthError.check_status_details(details, code=status.code, message=status.details)
    assert read is not None
    assert read.details == [] and read.metadata == {}
    assert read.message == status.details and 0 < len(read.message) < 3000
    assert read.message == "é" * len(read.message)


def test_no_auth_error_fails_closed() -> None:
    status = AuthError(AuthErrorCode.NO_AUTH_ERROR, f"oops {JWT}").to_status()
    assert status.code is grpc.StatusCode.UNKNOWN
    assert status.trailing_metadata == ()
    assert status.details == "no authentication error"
    body = json.loads(AuthError(AuthErrorCode.NO_AUTH_ERROR).to_http_json())
    assert body == {"error": {"code": 500, "message": "no authentication error", "status": "UNKNOWN"}}
