"""Sending an outbox delivery over HTTP: one POST, its answer sorted into delivered / retry later / dead letter.

A 2xx answer is delivered. A 4xx other than 408 and 429 means the receiver will never take this request:
`PermanentFailure` (the outbox fails the delivery at once: a dead letter, with the answer's body in its error).
Anything else (5xx, 408, 429, a timeout, a refused or broken connection) raises `RetryableHttpError`, retried with the
outbox's exponential backoff. Redirects are not followed (a receiver that moved is a configuration to fix).
"""

from __future__ import annotations

from typing import Any

import requests

from .outbox import PermanentFailure

MAX_BODY_IN_ERROR = 2000
RETRYABLE_4XX = frozenset({408, 429})


class RetryableHttpError(Exception):
    """The receiver could not take the request now (5xx, 408, 429, timeout, connection): try again later."""


def _excerpt(response: requests.Response) -> str:
    text = response.text or ""
    return text if len(text) <= MAX_BODY_IN_ERROR else text[:MAX_BODY_IN_ERROR] + "…"


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: tuple[float, float],
         auth: Any = None) -> requests.Response:
    """POST `body` to `url`; returns the 2xx answer, raises `PermanentFailure` or `RetryableHttpError` otherwise."""
    try:
        response = requests.post(url, data=body, headers={"Content-Type": "application/json; charset=utf-8",
                                                          **headers},
                                 timeout=timeout, auth=auth, allow_redirects=False)
    except requests.Timeout as exc:
        raise RetryableHttpError(f"POST {url}: no answer in time ({exc.__class__.__name__}).") from exc
    except requests.RequestException as exc:
        raise RetryableHttpError(f"POST {url}: {exc.__class__.__name__}: {exc}") from exc
    status = response.status_code
    if 200 <= status < 300:
        return response
    message = f"POST {url}: HTTP {status}: {_excerpt(response)}"
    if 400 <= status < 500 and status not in RETRYABLE_4XX:
        raise PermanentFailure(message)
    raise RetryableHttpError(message)
