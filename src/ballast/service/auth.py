"""Accounts and access: password hashes, session cookies, CSRF tokens, API keys.

* Passwords: argon2id (argon2-cffi's PasswordHasher defaults: RFC 9106 low-memory profile),
  rehashed on login when the parameters changed.
* Browser sessions: a cookie holding {"uid", "csrf"} signed (HMAC) with the database's secret
  (itsdangerous, max age SESSION_SECONDS); HttpOnly, SameSite=Lax. A request authenticated by
  the cookie that changes anything (POST, PUT, PATCH, DELETE) must carry the session's CSRF
  token in the `X-CSRF-Token` header or a `csrf_token` form field.
* API keys: `blst_` + 32 random bytes (URL-safe base64), shown once; the database keeps its
  SHA-256 and the first 12 characters to name it. Sent as `Authorization: Bearer <key>`;
  never needs a CSRF token (a browser does not send it by itself). Revocable.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from itsdangerous import BadSignature, URLSafeTimedSerializer

__all__ = [
    "Principal",
    "SessionSigner",
    "SESSION_COOKIE",
    "SESSION_SECONDS",
    "USERNAME_PATTERN",
    "check_password",
    "csrf_matches",
    "hash_password",
    "new_api_key",
    "key_hash",
    "password_problem",
    "username_problem",
]

SESSION_COOKIE = "ballast_session"
SESSION_SECONDS = 7 * 86_400
USERNAME_PATTERN = r"[a-z0-9][a-z0-9_-]{2,31}"
MIN_PASSWORD = 10
_HASHER = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """Who is asking: a signed-in user (by session or API key) or nobody (`user_id` None)."""

    user_id: int | None = None
    username: str | None = None
    role: str = "anonymous"  # "anonymous", "user" or "admin"
    via: str = "none"  # "session", "key" or "none"
    csrf: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def username_problem(username: str) -> str | None:
    """Why a username cannot be used, or None: 3-32 characters of a-z, 0-9, _ and -, starting
    with a letter or digit."""
    if not re.fullmatch(USERNAME_PATTERN, username):
        return "3-32 characters: lowercase letters, digits, '_' and '-', starting with a letter or digit"
    return None


def password_problem(password: str) -> str | None:
    if len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if len(password) > 1024:
        return "at most 1024 characters"
    return None


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(stored_hash: str, password: str) -> tuple[bool, str | None]:
    """(matches, a new hash when the stored one should be upgraded)."""
    try:
        _HASHER.verify(stored_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    return True, (_HASHER.hash(password) if _HASHER.check_needs_rehash(stored_hash) else None)


def new_api_key() -> tuple[str, str, str]:
    """(key, its SHA-256 hex, its display prefix)."""
    key = "blst_" + secrets.token_urlsafe(32)
    return key, key_hash(key), key[:12]


def key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


class SessionSigner:
    """Signs and reads the session cookie (see the module docstring)."""

    def __init__(self, secret: str) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="ballast-session")

    def issue(self, user_id: int) -> tuple[str, str]:
        """(cookie value, CSRF token) of a new session."""
        csrf = secrets.token_urlsafe(24)
        return self._serializer.dumps({"uid": user_id, "csrf": csrf}), csrf

    def read(self, cookie: str) -> tuple[int, str] | None:
        """(user id, CSRF token) of a valid, unexpired cookie; None otherwise."""
        try:
            data = self._serializer.loads(cookie, max_age=SESSION_SECONDS)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("uid"), int) or not isinstance(data.get("csrf"), str):
            return None
        return data["uid"], data["csrf"]


def csrf_matches(expected: str | None, given: str | None) -> bool:
    """Whether a request's CSRF token is the session's (constant-time)."""
    return bool(expected) and bool(given) and hmac.compare_digest(str(expected), str(given))

