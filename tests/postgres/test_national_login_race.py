"""A citizen's first national (OIDC) login arriving twice at once, on PostgreSQL: a double click on the provider's
consent, or two devices. Both logins succeed with one account; neither gets a 500 from the unique ID number."""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import Site, run_together

pytestmark = pytest.mark.postgres

# One racer: waits for the start signal, then logs in with the provider's verified claims of a citizen who has no
# account yet. Prints the account it got, or the error.
RACER = r"""
import json, sys, traceback

import django

django.setup()

from motcua.identity import services
from tests.postgres.racing import ready_then_wait

spec = json.loads(sys.argv[1])
ready_then_wait(spec)
try:
    user = services.login_national_identity({"sub": "race", "cccd": spec["cccd"], "name": "Lê Văn Đua",
                                             "birthdate": "1990-04-01"})
    print(json.dumps({"user": user.pk, "verified": user.identity_verified, "error": ""}))
except Exception:
    print(json.dumps({"user": None, "verified": False, "error": traceback.format_exc()}))
"""

CCCD = "001090123456"


def test_simultaneous_first_logins_of_one_citizen_make_one_account(pg_site: Site, tmp_path: Path) -> None:
    reports = run_together(pg_site, tmp_path, RACER, [{"cccd": CCCD}] * 4)
    assert [r["error"] for r in reports if r["error"]] == []
    users = {r["user"] for r in reports}
    assert len(users) == 1 and all(r["verified"] for r in reports)
    assert pg_site.query("SELECT COUNT(*), MIN(full_name) FROM identity_user WHERE national_id = %s",
                         (CCCD,)) == [(1, "Lê Văn Đua")]
    assert pg_site.query("SELECT COUNT(*) FROM audit_auditentry WHERE action = 'account_created' AND object_id = %s",
                         (str(users.pop()),)) == [(1,)]
