"""A dossier records whether its applicant's identity was verified (population registry or national identity
provider) and how; the index counts it (`vneid_verified`, indicator population markers)."""

from __future__ import annotations

from motcua.dossiers.models import Dossier
from motcua.identity.models import IdentityMethod, User
from motcua.index766.facts import Loader

from .conftest import first_registration


def _submit(citizen):
    response = citizen.post("/api/v1/dossiers", first_registration(citizen))
    assert response.status_code == 201, response.content
    return response.json()


def test_a_verified_applicant_s_dossier_is_marked_verified_and_counted(api):
    citizen = api("citizen.demo")
    assert citizen.user.identity_method == IdentityMethod.REGISTRY  # load_demo's sign-up was checked
    body = _submit(citizen)
    assert (body["identity_verified"], body["identity_method"]) == (True, "registry")
    assert body["identity_verified_at"] is not None
    detail = citizen.get(f"/api/v1/dossiers/{body['code']}").json()
    assert detail["identity_verified"] is True
    [facts] = Loader().load([Dossier.objects.get(code=body["code"]).pk])
    assert facts.marks.get("vneid_verified") is True


def test_an_unverified_account_is_checked_again_at_submission(api, settings):
    citizen = api("citizen.demo")
    User.objects.filter(pk=citizen.user.pk).update(identity_method=IdentityMethod.NONE, identity_verified_at=None)
    settings.MOTCUA_REGISTRY = "off"  # the registry is down: the dossier is filed, not verified
    body = _submit(citizen)
    assert (body["identity_verified"], body["identity_method"]) == (False, "none")
    [facts] = Loader().load([Dossier.objects.get(code=body["code"]).pk])
    assert not facts.marks.get("vneid_verified")
    settings.MOTCUA_REGISTRY = "local"  # back: the next submission verifies, and the account keeps it
    assert _submit(citizen)["identity_method"] == "registry"
    assert User.objects.get(pk=citizen.user.pk).identity_method == IdentityMethod.REGISTRY


def test_the_workspace_and_the_applicant_page_show_the_badge(api, client):
    citizen = api("citizen.demo")
    code = _submit(citizen)["code"]
    client.force_login(citizen.user)
    page = client.get(f"/my/dossiers/{code}/").content.decode()
    assert 'data-testid="identity-status"' in page and "badge verified" in page
    client.force_login(User.objects.get(username="onestop.demo"))
    workspace = client.get(f"/backoffice/dossiers/{code}/").content.decode()
    assert 'data-testid="identity-status"' in workspace and "badge verified" in workspace
