"""Shared by the tests: the repository's contract files."""

from __future__ import annotations

import json
import os
from typing import Any, Dict

import grpc
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


def _find_root() -> str:
    """The repository root: AUTH_ERROR_REPO, or the nearest parent with tests/vectors."""
    env = os.environ.get("AUTH_ERROR_REPO")
    if env:
        return env
    path = HERE
    while True:
        if os.path.isfile(os.path.join(path, "tests", "vectors", "auth_error_vectors.json")):
            return path
        parent = os.path.dirname(path)
        if parent == path:
            raise RuntimeError("cannot find the repository (tests/vectors): set AUTH_ERROR_REPO")
        path = parent


ROOT = _find_root()


def load(rel: str) -> Any:
    with open(os.path.join(ROOT, rel), encoding="utf-8") as f:
        return json.load(f)


@pytest.fixture(scope="session")
def vectors() -> Dict[str, Any]:
    data: Dict[str, Any] = load("tests/vectors/auth_error_vectors.json")
    return data


@pytest.fixture(scope="session")
def rules() -> Dict[str, Any]:
    data: Dict[str, Any] = load("tests/vectors/auth_error_rules.json")
    return data


def details_of(status: grpc.Status) -> bytes:
    """The grpc-status-details-bin value of a status made by to_status()."""
    for key, value in status.trailing_metadata:
        if key == "grpc-status-details-bin" and isinstance(value, bytes):
            return value
    raise AssertionError("no grpc-status-details-bin")
