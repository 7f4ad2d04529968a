"""A payment's callbacks racing reconciliation on PostgreSQL: several processes settle the same payment at once (two
callbacks delivered twice, two reconciliation runs); it is settled once, the dossier's `pay` happens once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from motcua.demo.samples import FIRST_REGISTRATION_FORM as FORM
from motcua.demo.samples import MINIMAL_PDF

from .conftest import Site, run_together

pytestmark = pytest.mark.postgres

# A dossier of citizen.demo in status 6 with a pending sandbox payment of 50,000 VND that the sandbox has charged
# (its callback not delivered yet). Prints the dossier code and the payment reference.
SETUP = r"""
import json, sys

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.documents.services import store_upload
from motcua.dossiers import actions
from motcua.dossiers.services import Submission, submit
from motcua.identity.models import User
from motcua.payments import services
from motcua.payments.models import SandboxCharge

spec = json.loads(sys.argv[1])
citizen, onestop = User.objects.get(username="citizen.demo"), User.objects.get(username="onestop.demo")
pdf = spec["pdf"].encode("latin-1")
components = [{"code": code, "files": [str(store_upload(citizen, SimpleUploadedFile(code + ".pdf", pdf)).id)]}
              for code in ("to_khai", "phieu_tu_khai_suc_khoe", "cccd")]
dossier, _ = submit(citizen, Submission(procedure="1.013133", form=spec["form"], components=components))
dossier = actions.act(onestop, dossier, "accept", {})
dossier = actions.act(onestop, dossier, "request_payment", {"amount_vnd": 50000})
payment = services.start(citizen, dossier).payment
SandboxCharge.objects.filter(reference=payment.reference).update(status="success", transaction_id="SBXRACE")
print(json.dumps({"code": dossier.code, "ref": payment.reference}))
"""

# One racer: waits for the start signal, then delivers the signed callback or runs reconciliation (asking about
# payments pending for 0 minutes). Prints what it did.
RACER = r"""
import json, sys, time, traceback
from pathlib import Path

import django

django.setup()

from motcua.payments import gateways, services
from tests.postgres.racing import ready_then_wait

spec = json.loads(sys.argv[1])
ready_then_wait(spec)
try:
    if spec["kind"] == "callback":
        _payment, changed = services.callback("sandbox", gateways.signed(
            {"ref": spec["ref"], "amount": 50000, "status": "success", "txn": "SBXRACE"}))
        print(json.dumps({"changed": int(changed), "error": ""}))
    else:
        print(json.dumps({"changed": services.reconcile(0).settled, "error": ""}))
except Exception:
    print(json.dumps({"changed": 0, "error": traceback.format_exc()}))
"""

KINDS = ["callback", "reconcile", "callback", "reconcile", "callback", "reconcile"]


def test_callbacks_racing_reconciliation_settle_once(pg_site: Site, tmp_path: Path) -> None:
    setup = pg_site.run("-c", SETUP, json.dumps({"form": FORM, "pdf": MINIMAL_PDF.decode("latin-1")}))
    made = json.loads(setup.stdout.strip().splitlines()[-1])
    reports = run_together(pg_site, tmp_path, RACER, [{"kind": kind, "ref": made["ref"]} for kind in KINDS])
    assert [r["error"] for r in reports if r["error"]] == []
    assert sum(r["changed"] for r in reports) == 1
    assert pg_site.query("SELECT status, transaction_id FROM payments_payment WHERE reference = %s",
                         (made["ref"],)) == [("success", "SBXRACE")]
    assert pg_site.query("SELECT d.status, COUNT(e.id) FROM dossiers_dossier d JOIN dossiers_event e "
                         "ON e.dossier_id = d.id AND e.action = 'pay' WHERE d.code = %s GROUP BY d.status",
                         (made["code"],)) == [(2, 1)]
    assert pg_site.query("SELECT COUNT(*) FROM integrations_outboxevent WHERE key = %s AND payload->>'action' = "
                         "'pay'", (made["code"],)) == [(1,)]
