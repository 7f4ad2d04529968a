"""A dossier walked through its actions on PostgreSQL: the row locks the actions take must be valid there.

SQLite ignores `SELECT ... FOR UPDATE`, so a lock PostgreSQL refuses (FOR UPDATE on the nullable side of an outer
join, such as the dossier's optional applicant) passes the SQLite suite and fails every action in production; the
chaos benchmark (bench/chaos.py) found exactly that.
"""

from __future__ import annotations

import json

import pytest

from motcua.demo.samples import FIRST_REGISTRATION_FORM as FORM
from motcua.demo.samples import MINIMAL_PDF

from .conftest import Site

pytestmark = pytest.mark.postgres

# Submit 1.013133 as citizen.demo, walk it to 10 (returned) with the demo officers, cancel its result; print the
# statuses after each action, the history's actions and the result's state.
WALK = r"""
import json, sys

import django

django.setup()

from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.documents.services import store_upload
from motcua.dossiers import actions
from motcua.dossiers.models import Dossier
from motcua.dossiers.services import Submission, submit
from motcua.identity.models import User
from motcua.results import services as results

spec = json.loads(sys.argv[1])
users = {name: User.objects.get(username=name) for name in
         ("citizen.demo", "onestop.demo", "handler.demo", "leader.demo")}
pdf = spec["pdf"].encode("latin-1")
components = [{"code": code, "files": [str(store_upload(users["citizen.demo"],
                                                        SimpleUploadedFile(code + ".pdf", pdf)).id)]}
              for code in ("to_khai", "phieu_tu_khai_suc_khoe", "cccd")]
dossier, _created = submit(users["citizen.demo"], Submission(procedure="1.013133", form=spec["form"],
                                                             components=components))
statuses = []
for name, action, payload in [("onestop.demo", "accept", {}), ("handler.demo", "complete_step", {"note": "ok"}),
                              ("leader.demo", "approve", {"note": "ok"}),
                              ("onestop.demo", "return_result", {"method": "online"})]:
    dossier = actions.act(users[name], Dossier.objects.get(pk=dossier.pk), action, payload)
    statuses.append(dossier.status)
result = dossier.results.get()
cancelled = results.cancel(result, users["leader.demo"], {"reason": "Sai thông tin"})
print(json.dumps({"statuses": statuses, "history": list(dossier.events.order_by("seq").values_list("action",
                                                                                                   flat=True)),
                  "result": cancelled.state}))
"""


def test_a_dossier_walks_to_returned_and_its_result_is_cancelled(pg_site: Site) -> None:
    pg_site.run("manage.py", "pki_init")
    out = pg_site.run("-c", WALK, json.dumps({"form": FORM, "pdf": MINIMAL_PDF.decode("latin-1")}))
    report = json.loads(out.stdout.strip().splitlines()[-1])
    assert report["statuses"] == [2, 4, 9, 10]
    assert report["history"] == ["submit", "accept", "complete_step", "approve", "return_result", "cancel_result"]
    assert report["result"] == "cancelled"


# Each petition service that locks a petition, called for one that does not exist: PostgreSQL must accept the lock
# (the petition's dossier is optional, an outer join) and the service then finds no row.
PETITION_LOCKS = r"""
import django

django.setup()

from motcua.identity.models import User
from motcua.petitions import services
from motcua.petitions.models import Petition

officer, missing = User.objects.get(username="onestop.demo"), Petition(pk=-1)
for call in (lambda: services.act(officer, missing, "accept", {}),
             lambda: services.provide_info(missing, officer, "Thông tin"),
             lambda: services.rate(missing, officer, True)):
    try:
        call()
    except Petition.DoesNotExist:
        print("not found")
"""


def test_the_petition_locks_are_valid_on_postgresql(pg_site: Site) -> None:
    out = pg_site.run("-c", PETITION_LOCKS)
    assert out.stdout.split("\n")[-4:-1] == ["not found"] * 3
