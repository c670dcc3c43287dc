"""Failed sign-in counting in the shared cache, so that every web process and host agrees."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def _key(request: HttpRequest, username: str) -> str:
    client = request.META.get("REMOTE_ADDR", "")
    digest = hashlib.sha256(f"{client}|{username.strip().lower()}".encode()).hexdigest()
    return f"login-failures:{digest}"


def login_is_locked(request: HttpRequest, username: str) -> bool:
    """Whether this client has used up its failed attempts for this user name."""
    limit: int = settings.LOGIN_FAILURE_LIMIT
    return int(cache.get(_key(request, username), 0)) >= limit


def login_failure_record(request: HttpRequest, username: str) -> None:
    """Count one failed attempt; the count expires after the window."""
    key = _key(request, username)
    if cache.add(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def login_failures_clear(request: HttpRequest, username: str) -> None:
    """Forget failed attempts after a successful sign-in."""
    cache.delete(_key(request, username))
