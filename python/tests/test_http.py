"""The AIP-193 body: the crate's bytes (tests/data/http_bodies.txt, written
by tests/it/http/exits.rs), and reading it back."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import List

import pytest

from auth_error import AuthError, AuthErrorCode, JsonError
from conftest import ROOT


def rich(code: AuthErrorCode) -> AuthError:
    """tests/it/http/exits.rs `bodies_keep_their_bytes`, built the same way."""
    return AuthError(
        code,
        'Anmeldung — 認証 🔒 "q" \\ \u0001',
        metadata={"tenantId": "acme", "zeta": "z", "Alpha": "a", "requiredScopes": "a.b c"},
        domain="custom.example.com",
        retry_after=timedelta(milliseconds=1500),
        help_links=[("How", "https://e.com")],
        localized_message=("de-CH", "Bitte"),
        details=[
            ("type.example.com/x.Y", bytes([8, 1, 0xFF])),
            ("type.googleapis.com/google.rpc.RetryInfo", bytes([0x0A, 0x05, 0xFF])),
            ("type.googleapis.com/google.rpc.RetryInfo", b""),
            ("type.googleapis.com/google.rpc.Help", b""),
        ],
    )


def test_bodies_are_the_crates_byte_for_byte() -> None:
    with open(os.path.join(ROOT, "tests/data/http_bodies.txt"), encoding="utf-8") as f:
        want = f.read().splitlines()
    got: List[str] = []
    for code in AuthErrorCode:
        for err in (rich(code), AuthError(code)):
            got.append(err.to_http_json().decode("utf-8"))
    assert len(got) == len(want) == 2 * len(AuthErrorCode)
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"body {i}"


def test_round_trip_every_code() -> None:
    for code in AuthErrorCode:
        if not code.is_error:
            continue
        err = rich(code)
        back = AuthError.from_http_json(err.to_http_json(), domain="custom.example.com")
        assert back.code is code
        assert back.message == err.message
        assert back.domain == "custom.example.com"
        assert back.metadata == {"requiredScopes": "a.b c", "tenantId": "acme", "zeta": "z"}
        assert back.retry_after == timedelta(milliseconds=1500)
        assert [tuple(link) for link in back.help_links] == [("How", "https://e.com")]
        assert back.localized_message == ("de-CH", "Bitte")
        # The same body again: nothing lost on the way out and back.
        assert back.to_http_json() == err.to_http_json()
        assert AuthError.from_http_json(err.to_http_json().decode(), domain="custom.example.com").code is code
        with pytest.raises(JsonError) as caught:
            AuthError.from_http_json(err.to_http_json())  # another domain
        assert caught.value.kind == "no_error_info"


def test_unknown_reason_lenient_and_strict() -> None:
    body = json.dumps(
        {
            "error": {
                "code": 401,
                "message": "newer",
                "status": "UNAUTHENTICATED",
                "details": [
                    {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "TOKEN_FROM_THE_FUTURE", "domain": "auth.error.v1"}
                ],
            }
        }
    )
    err = AuthError.from_http_json(body)
    assert err.code is None and err.reason == "TOKEN_FROM_THE_FUTURE" and err.client_action is None
    with pytest.raises(JsonError) as caught:
        AuthError.from_http_json(body, strict=True)
    assert caught.value.kind == "unknown_reason" and caught.value.reason == "TOKEN_FROM_THE_FUTURE"


SECRET = "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"


@pytest.mark.parametrize(
    "body,kind",
    [
        (b"", "invalid"),
        (b"\xff\xfe", "invalid"),
        (b"[]", "invalid"),
        (b"{}", "invalid"),
        (b'{"error": 1}', "invalid"),
        (json.dumps({"error": {"code": SECRET}}).encode(), "invalid"),
        (json.dumps({"error": {"message": 7, "details": []}}).encode(), "invalid"),
        (json.dumps({"error": {"details": [SECRET]}}).encode(), "invalid"),
        (b'{"error": {"code": 401}}', "no_error_info"),
        (b'{"error": {"details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "domain": "x.example.com", "reason": "TOKEN_EXPIRED"}]}}', "no_error_info"),
        (b'{"error": {"details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "domain": "auth.error.v1", "reason": 7}]}}', "invalid"),
        (b'{"error": {"details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "domain": "auth.error.v1", "reason": "NO_AUTH_ERROR"}]}}', "no_auth_error"),
        (b"[" * 100000, "invalid"),
    ],
)
def test_hostile_bodies_are_typed_errors_that_never_quote_input(body: bytes, kind: str) -> None:
    with pytest.raises(JsonError) as caught:
        AuthError.from_http_json(body)
    assert caught.value.kind == kind
    assert "eyJ" not in str(caught.value) and "Bearer" not in str(caught.value)


def test_foreign_details_come_back_as_companions() -> None:
    body = {
        "error": {
            "code": 401,
            "message": "m",
            "status": "UNAUTHENTICATED",
            "details": [
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "TOKEN_EXPIRED", "domain": "auth.error.v1"},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "soon"},
                {"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "QUOTA", "domain": "q.example.com", "metadata": {"a": "b"}},
                {"@type": "type.googleapis.com/google.rpc.BadRequest", "fieldViolations": [{"field": "x"}]},
                {"@type": "type.googleapis.com/google.rpc.RetryInfo"},
            ],
        }
    }
    err = AuthError.from_http_json(json.dumps(body))
    assert err.code is AuthErrorCode.TOKEN_EXPIRED and err.metadata == {}
    assert [d.type_url for d in err.details] == [
        "type.googleapis.com/google.rpc.ErrorInfo",
        "type.googleapis.com/google.rpc.RetryInfo",
    ]
    assert err.retry_after is None
