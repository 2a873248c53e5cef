"""JWT tokens: Lotus's exact token shape, and every way a token can be bad."""

from __future__ import annotations

import base64
import json
import time

import jwt
import pytest

from pylotus.jsonrpc import JwtAuth, TokenInvalid
from pylotus.jsonrpc.methods import ALL_PERMISSIONS, perms_up_to, python_name

SECRET = bytes(range(32))


def test_full_token_has_lotus_header_and_payload() -> None:
    token = JwtAuth(SECRET).new_token(ALL_PERMISSIONS).decode()
    # Every Lotus admin token starts with these two segments (reference §3.2).
    assert token.startswith(
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJBbGxvdyI6WyJyZWFkIiwid3JpdGUiLCJzaWduIiwiYWRtaW4iXX0."
    )


def test_verify_round_trip_and_unvalidated_perms_like_lotus() -> None:
    auth = JwtAuth(SECRET)
    assert auth.verify(auth.new_token(["read", "write"])) == ["read", "write"]
    assert auth.verify(auth.new_token(["bogus"])) == ["bogus"]


def test_token_from_another_secret_is_refused() -> None:
    token = JwtAuth(b"x" * 32).new_token(["admin"])
    with pytest.raises(TokenInvalid, match="JWT Verification failed: Signature verification failed"):
        JwtAuth(SECRET).verify(token)


@pytest.mark.parametrize("garbled", ["", "abc", "a.b.c", "eyJhbGciOiJIUzI1NiJ9..", "Bearer x"])
def test_garbled_tokens_are_refused(garbled: str) -> None:
    with pytest.raises(TokenInvalid, match="^JWT Verification failed"):
        JwtAuth(SECRET).verify(garbled)


def test_expired_token_is_refused() -> None:
    token = jwt.encode({"Allow": ["admin"], "exp": int(time.time()) - 10}, SECRET, algorithm="HS256")
    with pytest.raises(TokenInvalid, match="expired"):
        JwtAuth(SECRET).verify(token)


def test_token_without_allow_list_is_refused() -> None:
    token = jwt.encode({"Perms": ["admin"]}, SECRET, algorithm="HS256")
    with pytest.raises(TokenInvalid, match="Allow"):
        JwtAuth(SECRET).verify(token)


def test_alg_none_token_is_refused() -> None:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "none", "typ": "JWT"}).encode()).rstrip(b"=")
    payload = base64.urlsafe_b64encode(json.dumps({"Allow": ["admin"]}).encode()).rstrip(b"=")
    with pytest.raises(TokenInvalid):
        JwtAuth(SECRET).verify(header + b"." + payload + b".")


def test_create_token_perm_levels_follow_lotus() -> None:
    assert perms_up_to("read") == ["read"]
    assert perms_up_to("sign") == ["read", "write", "sign"]
    assert perms_up_to("admin") == ["read", "write", "sign", "admin"]
    with pytest.raises(ValueError):
        perms_up_to("root")


def test_python_names_of_lotus_methods() -> None:
    assert python_name("AuthNew") == "auth_new"
    assert python_name("SealingSchedDiag") == "sealing_sched_diag"
    assert python_name("StorageFindSector") == "storage_find_sector"
    assert python_name("ActorSectorSize") == "actor_sector_size"
