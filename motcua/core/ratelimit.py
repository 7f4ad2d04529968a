"""A fixed-window rate limit on Django's cache (per process with the default local-memory cache; set
MOTCUA_CACHE=database in production so that the limits hold across every web process and host)."""

from __future__ import annotations

from django.core.cache import cache
from django.utils.functional import Promise

from . import clock
from .errors import FieldError, RateLimited


def allow(scope: str, who: str, limit: int, window_seconds: int) -> bool:
    """Count one request of `who` in `scope`; False once `limit` requests were counted in the current window."""
    window = int(clock.now().timestamp()) // window_seconds
    key = f"ratelimit:{scope}:{who}:{window}"
    if cache.add(key, 1, timeout=window_seconds + 1):
        return True
    try:
        return cache.incr(key) <= limit
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window_seconds + 1)
        return True


def enforce(scope: str, who: str, rate: tuple[int, int], message: str | Promise, error: FieldError) -> None:
    """Count one request of `who` in `scope`; raise RateLimited (429, with `message` and `error`) past `rate`
    (limit, window in seconds)."""
    limit, window = rate
    if not allow(scope, who, limit, window):
        raise RateLimited(message, [error])
