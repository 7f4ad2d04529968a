"""MOTCUA_CACHE=database: rate limits count across processes (several web processes or hosts), not per process."""

from __future__ import annotations

import pytest

from .conftest import Site

pytestmark = pytest.mark.postgres

# One process: two requests from the same address against a limit of 3 a minute; prints how many were allowed.
TWO_REQUESTS = r"""
import django

django.setup()

from motcua.core import ratelimit

print(sum(ratelimit.allow("test", "192.0.2.7", 3, 60) for _ in range(2)))
"""


def test_a_limit_holds_across_processes_with_the_database_cache(pg_site: Site) -> None:
    pg_site.run("manage.py", "createcachetable", MOTCUA_CACHE="database")
    allowed = [int(pg_site.run("-c", TWO_REQUESTS, MOTCUA_CACHE="database").stdout.split()[-1]) for _ in range(2)]
    assert allowed == [2, 1]  # the second process sees the first one's two requests


def test_the_local_cache_counts_per_process(pg_site: Site) -> None:
    allowed = [int(pg_site.run("-c", TWO_REQUESTS).stdout.split()[-1]) for _ in range(2)]
    assert allowed == [2, 2]
