"""API tokens: HS256 JWTs carrying ``{"Allow": [perms…]}``, exactly as Lotus issues them.

Lotus (go-jsonrpc ``auth/``, ``node/modules/core.go: APISecret``) keeps a 32-byte HMAC secret in
the keystore under ``auth-jwt-private`` (KeyInfo type ``jwt-hmac-secret``) and, when it creates the
secret, also writes the repo's ``token`` file with all four permissions.  Tokens have no expiry
and no issuer; the payload is only the permission list, so a token minted by Lotus for the same
secret verifies here and the other way round (reference/lotus-miner.md §3.2).

We additionally honour an ``exp`` claim when a token carries one (Lotus ignores it): a token made
to expire should not keep working.

Verification is behind the :class:`TokenVerifier` protocol because not every server owns the
secret: a seal worker checks tokens by asking the miner's ``AuthVerify``.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Sequence
from typing import Final, Protocol, final

import jwt

from ..repo import KeyInfo, KeyNotFound, LockedRepo
from .errors import TokenInvalid
from .methods import ALL_PERMISSIONS

__all__ = [
    "JWT_KEY_NAME",
    "JWT_KEY_TYPE",
    "JwtAuth",
    "TokenVerifier",
    "open_api_secret",
]

log = logging.getLogger(__name__)

JWT_KEY_NAME: Final = "auth-jwt-private"  # Lotus modules.JWTSecretName
JWT_KEY_TYPE: Final = "jwt-hmac-secret"  # Lotus modules.KTJwtHmacSecret
_SECRET_BYTES: Final = 32  # Lotus reads 32 bytes from crypto/rand


class TokenVerifier(Protocol):
    """Turns a presented token into its permission list, or raises :class:`TokenInvalid`."""

    async def verify_token(self, token: str) -> list[str]: ...


@final
class JwtAuth:
    """Signs and verifies Lotus API tokens with one HMAC secret."""

    def __init__(self, secret: bytes) -> None:
        if not secret:
            raise TokenInvalid(
                f"the API secret '{JWT_KEY_NAME}' is empty; remove it from the keystore to make a new one"
            )
        self._secret = bytes(secret)

    def new_token(self, perms: Sequence[str]) -> bytes:
        """A token allowing ``perms``; like Lotus's ``AuthNew`` the list is not validated."""
        token = jwt.encode({"Allow": list(perms)}, self._secret, algorithm="HS256")
        return token.encode("ascii")

    def verify(self, token: str | bytes) -> list[str]:
        """The permissions a token allows.

        Raises:
            TokenInvalid: ``JWT Verification failed: <why>`` — garbled, wrong signature,
                expired, another algorithm, or no ``Allow`` list.
        """
        if isinstance(token, bytes):
            token = token.decode("ascii", errors="replace")
        try:
            payload = jwt.decode(
                token,
                self._secret,
                algorithms=["HS256"],
                options={"require": [], "verify_aud": False, "verify_iss": False},
            )
        except jwt.ExpiredSignatureError as exc:
            raise TokenInvalid("JWT Verification failed: token has expired") from exc
        except jwt.InvalidTokenError as exc:
            raise TokenInvalid(f"JWT Verification failed: {exc}") from exc
        allow = payload.get("Allow")
        if not isinstance(allow, list) or not all(isinstance(p, str) for p in allow):
            raise TokenInvalid("JWT Verification failed: payload has no 'Allow' permission list")
        return list(allow)

    async def verify_token(self, token: str) -> list[str]:
        return self.verify(token)


def open_api_secret(repo: LockedRepo) -> JwtAuth:
    """The repo's API signer, creating the secret and the ``token`` file on first start.

    As Lotus's ``APISecret``: when the keystore has no ``auth-jwt-private`` key, 32 random bytes
    are stored there and a token with all permissions is written to ``<repo>/token`` (0600).  An
    existing secret is reused; a missing ``token`` file is recreated from it.
    """
    try:
        info = repo.keystore.get(JWT_KEY_NAME)
    except KeyNotFound:
        log.info("generating a new API secret repo=%s", repo.path)
        info = KeyInfo(type=JWT_KEY_TYPE, private_key=secrets.token_bytes(_SECRET_BYTES))
        repo.keystore.put(JWT_KEY_NAME, info)
        auth = JwtAuth(info.private_key)
        repo.set_api_token(auth.new_token(ALL_PERMISSIONS))
        return auth
    auth = JwtAuth(info.private_key)
    if repo.api_token() is None:
        repo.set_api_token(auth.new_token(ALL_PERMISSIONS))
    return auth
