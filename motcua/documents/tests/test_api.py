import hashlib
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils.http import content_disposition_header

from conftest import token_for
from motcua.documents.models import StoredFile
from motcua.identity.models import User

from .conftest import EXE, JPEG, blobs, make_pdf, make_png, object_stream

URL = "/api/v1/files"


def post(client: Client, name: str, content: bytes, token: str | None = None, **fields) -> object:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.post(URL, {"file": SimpleUploadedFile(name, content, content_type="application/pdf"), **fields},
                       headers=headers)


def get(client: Client, path: str, token: str | None = None) -> object:
    return client.get(path, headers={"Authorization": f"Bearer {token}"} if token else {})


def assert_refused(response, field: str, rule: str) -> None:
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "validation_failed"
    assert [(e["field"], e["rule"]) for e in body["errors"]] == [(field, rule)]
    assert body["errors"][0]["message_vi"] and body["errors"][0]["message_en"]


@pytest.fixture
def citizen_token(demo, client) -> str:
    return token_for(client, "citizen.demo")


@pytest.mark.django_db
def test_upload_returns_201_with_the_sha256_of_the_bytes(client, citizen_token, media):
    content = make_pdf()
    response = post(client, "Tờ khai.pdf", content, citizen_token)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content)
    assert body["content_type"] == "application/pdf"
    assert body["name"] == "Tờ khai.pdf"
    stored = StoredFile.objects.get(pk=body["id"])
    assert stored.uploaded_by.username == "citizen.demo"
    assert (media / stored.storage_name).read_bytes() == content


@pytest.mark.django_db
def test_metadata_and_content_of_ones_own_file(client, citizen_token, media):
    content = make_png("content")
    created = post(client, 'my "qr" code.png', content, citizen_token).json()
    meta = get(client, f"{URL}/{created['id']}", citizen_token)
    assert meta.status_code == 200
    assert meta.json() == created
    response = get(client, f"{URL}/{created['id']}/content", citizen_token)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == content
    assert response["Content-Type"] == "image/png"
    assert response["Content-Length"] == str(len(content))
    assert response["Content-Disposition"] == content_disposition_header(True, 'my "qr" code.png')
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"]


@pytest.mark.django_db
def test_the_download_name_is_the_sanitized_one(client, citizen_token, media):
    created = post(client, "..\u202egpj.pdf", make_pdf(), citizen_token).json()
    assert created["name"] == "gpj.pdf"
    response = get(client, f"{URL}/{created['id']}/content", citizen_token)
    assert response["Content-Disposition"] == 'attachment; filename="gpj.pdf"'


@pytest.mark.django_db
def test_same_content_twice_is_two_files_and_one_blob(client, citizen_token, media):
    content = make_pdf()
    first = post(client, "a.pdf", content, citizen_token).json()
    second = post(client, "b.pdf", content, citizen_token).json()
    assert first["id"] != second["id"]
    assert first["sha256"] == second["sha256"]
    assert StoredFile.objects.count() == 2
    assert len(blobs(media)) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("name, content, rule", [
    ("empty.pdf", b"", "empty"),
    ("setup.pdf", EXE, "content_type"),
    ("scan.png", make_pdf(), "extension_mismatch"),
    ("photo.pdf", JPEG, "extension_mismatch"),
    ("cut.pdf", make_pdf(eof=False), "truncated"),
    ("script.pdf", make_pdf(catalog=b"/OpenAction 5 0 R ", objects=(b"<< /S /JavaScript /JS (x) >>",)),
     "pdf_active_content"),
    ("launch.pdf", make_pdf(objects=(b"<< /S /Launch /F (calc.exe) >>",)), "pdf_active_content"),
    ("hidden.pdf", make_pdf(objects=(object_stream([b"<< /Type /EmbeddedFile >>"]),)), "pdf_active_content"),
    ("...", make_pdf(), "name"),
])
def test_each_rule_is_a_422_naming_file_and_the_rule_and_nothing_is_stored(client, citizen_token, media, name,
                                                                            content, rule):
    assert_refused(post(client, name, content, citizen_token), "file", rule)
    assert not StoredFile.objects.exists()
    assert blobs(media) == []


@pytest.mark.django_db
def test_over_the_size_limit_is_a_422(client, citizen_token, media, settings):
    settings.MOTCUA_MAX_UPLOAD_BYTES = 100
    assert_refused(post(client, "a.pdf", make_pdf(), citizen_token), "file", "max_size")
    assert blobs(media) == []


@pytest.mark.django_db
def test_a_missing_file_is_a_422(client, citizen_token, media):
    response = client.post(URL, {"procedure": "1.013133"}, headers={"Authorization": f"Bearer {citizen_token}"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


@pytest.mark.django_db
def test_a_component_narrows_the_accepted_types(client, citizen_token, media, demo_catalog_data):
    only_pdf = _component(demo_catalog_data, ["application/pdf"])
    any_image = _component(demo_catalog_data, ["application/pdf", "image/jpeg", "image/png"])
    png = make_png("narrow")
    assert_refused(post(client, "qr.png", png, citizen_token, procedure=only_pdf[0], component=only_pdf[1]),
                   "file", "content_type")
    assert not StoredFile.objects.exists()
    ok = post(client, "qr.png", png, citizen_token, procedure=any_image[0], component=any_image[1])
    assert ok.status_code == 201
    assert post(client, "a.pdf", make_pdf(), citizen_token, procedure=only_pdf[0],
                component=only_pdf[1]).status_code == 201


def _component(catalog: dict, types: list[str]) -> tuple[str, str]:
    for procedure in catalog["procedures"]:
        if procedure["status"] != "published":
            continue
        for component in procedure["components"]:
            if component.get("content_types") == types:
                return procedure["code"], component["code"]
    raise AssertionError(f"no component accepting exactly {types} in the demo catalog")


@pytest.mark.django_db
@pytest.mark.parametrize("fields, field, rule", [
    ({"procedure": "9.999999", "component": "to_khai"}, "procedure", "exists"),
    ({"procedure": "1.013133", "component": "no_such_component"}, "component", "exists"),
    ({"procedure": "1.013133"}, "component", "required"),
    ({"component": "to_khai"}, "procedure", "required"),
])
def test_unknown_procedure_or_component_is_a_422_naming_it(client, citizen_token, media, fields, field, rule):
    assert_refused(post(client, "a.pdf", make_pdf(), citizen_token, **fields), field, rule)
    assert not StoredFile.objects.exists()


@pytest.mark.django_db
def test_another_users_file_is_404_like_a_missing_one(client, demo, media):
    owner = token_for(client, "citizen.demo")
    stranger = token_for(client, "citizen2.demo")
    created = post(client, "a.pdf", make_pdf(), owner).json()
    missing = f"{URL}/{uuid.uuid4()}"
    for suffix in ["", "/content"]:
        theirs = get(client, f"{URL}/{created['id']}{suffix}", stranger)
        nothing = get(client, f"{missing}{suffix}", stranger)
        assert theirs.status_code == nothing.status_code == 404
        assert theirs.json() == nothing.json()
        assert get(client, f"{URL}/{created['id']}{suffix}", owner).status_code == 200


@pytest.mark.django_db
def test_a_malformed_id_is_a_422_not_a_500(client, citizen_token):
    response = get(client, f"{URL}/not-a-uuid", citizen_token)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file_id"


@pytest.mark.django_db
def test_anonymous_gets_401(client, demo, media):
    response = client.post(URL, {"file": SimpleUploadedFile("a.pdf", make_pdf())})
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
    assert not StoredFile.objects.exists()
    assert get(client, f"{URL}/{uuid.uuid4()}").status_code == 401
    assert get(client, f"{URL}/{uuid.uuid4()}/content", "not-a-valid-token").status_code == 401


@pytest.mark.django_db
def test_a_session_needs_the_csrf_token_and_a_bearer_token_does_not(demo, media):
    user = User.objects.get(username="citizen.demo")
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    refused = browser.post(URL, {"file": SimpleUploadedFile("a.pdf", make_pdf())})
    assert refused.status_code == 403
    assert [(e["field"], e["rule"]) for e in refused.json()["errors"]] == [("X-CSRFToken", "csrf")]
    assert not StoredFile.objects.exists()
    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    accepted = browser.post(URL, {"file": SimpleUploadedFile("a.pdf", make_pdf())}, headers={"X-CSRFToken": secret})
    assert accepted.status_code == 201, accepted.content
    assert browser.get(f"{URL}/{accepted.json()['id']}").status_code == 200  # reads need no token
    api_client = Client(enforce_csrf_checks=True)
    token = token_for(api_client, "citizen.demo")
    assert post(api_client, "b.pdf", make_pdf(), token).status_code == 201


@pytest.mark.django_db
def test_anonymous_with_csrf_enforced_still_gets_401(demo, media):
    response = Client(enforce_csrf_checks=True).post(URL, {"file": SimpleUploadedFile("a.pdf", make_pdf())})
    assert response.status_code == 401


def test_openapi_declares_the_error_answers(client):
    spec = client.get("/api/v1/openapi.json").json()
    upload = spec["paths"]["/api/v1/files"]["post"]
    assert {"201", "401", "403", "422"} <= set(upload["responses"])
    assert "max_size" in upload["description"] and "413" in upload["description"]
    for path in ["/api/v1/files/{file_id}", "/api/v1/files/{file_id}/content", "/api/v1/files/{file_id}/archive",
                 "/api/v1/files/{file_id}/thumbnail", "/api/v1/dossiers/{code}/files/{file_id}/archive",
                 "/api/v1/dossiers/{code}/files/{file_id}/thumbnail"]:
        assert {"200", "401", "404"} <= set(spec["paths"][path]["get"]["responses"])
    digitize = spec["paths"]["/api/v1/dossiers/{code}/digitize"]["post"]
    assert {"200", "401", "403", "404", "422"} <= set(digitize["responses"])
    assert "text" in [p["name"] for p in spec["paths"]["/api/v1/dossiers"]["get"]["parameters"]]
    assert "DigitizationOut" in spec["components"]["schemas"]


@pytest.mark.django_db
def test_a_file_larger_than_the_in_memory_threshold_goes_through_a_temporary_file(client, citizen_token, media,
                                                                                   settings):
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # Django spools bigger uploads to disk: the service reads them there
    content = make_pdf(objects=(object_stream([b"<< /Producer (motcua) >>"]),), content=b"BT (x) Tj ET\n" * 20_000)
    response = post(client, "big.pdf", content, citizen_token)
    assert response.status_code == 201, response.content
    assert response.json()["sha256"] == hashlib.sha256(content).hexdigest()
    stored = StoredFile.objects.get(pk=response.json()["id"])
    assert (media / stored.storage_name).read_bytes() == content


@pytest.mark.django_db
def test_the_admin_lists_files_read_only(client, citizen_token, media):
    created = post(client, "a.pdf", make_pdf(), citizen_token).json()
    client.force_login(User.objects.get(username="admin.demo"))
    listing = client.get("/admin/documents/storedfile/")
    assert listing.status_code == 200
    assert b"a.pdf" in listing.content
    page = client.get(f"/admin/documents/storedfile/{created['id']}/change/")
    assert page.status_code == 200
    assert b'name="original_name"' not in page.content  # shown, not editable
    assert client.get("/admin/documents/storedfile/add/").status_code == 403
    assert client.post(f"/admin/documents/storedfile/{created['id']}/delete/", {"post": "yes"}).status_code == 403
    assert StoredFile.objects.filter(pk=created["id"]).exists()
