"""The audit chain under concurrent writers on PostgreSQL: several processes append at once, the chain stays one
gapless, verifiable sequence (the head row serializes appends)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import REPO, Site

pytestmark = pytest.mark.postgres

PROCESSES, PER_PROCESS = 6, 20

APPEND = r"""
import sys
import django
django.setup()
from motcua.audit import services
for n in range(int(sys.argv[2])):
    services.record("login", object_type="user", object_id=f"{sys.argv[1]}-{n}", ip="10.0.0.1")
"""


def test_concurrent_appends_keep_one_unbroken_chain(pg_site: Site) -> None:
    before = pg_site.query("SELECT count(*) FROM audit_auditentry")[0][0]
    workers = [subprocess.Popen([sys.executable, "-c", APPEND, str(w), str(PER_PROCESS)], cwd=REPO, env=pg_site.env,
                                stderr=subprocess.PIPE, text=True) for w in range(PROCESSES)]
    failures = [w.stderr.read() for w in workers if w.wait(timeout=120) != 0]
    assert failures == []
    seqs = [row[0] for row in pg_site.query("SELECT seq FROM audit_auditentry ORDER BY seq")]
    assert seqs == list(range(1, before + PROCESSES * PER_PROCESS + 1))
    assert "chain intact" in pg_site.run("manage.py", "audit_verify").stdout
