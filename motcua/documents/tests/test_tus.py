"""The tus 1.0 endpoint at /api/v1/uploads, request by request (the real tuspy client is in test_tus_client.py)."""

import base64
import hashlib
from datetime import timedelta

import pytest
from django.core.management import call_command

from conftest import token_for
from motcua.documents import resumable
from motcua.documents.models import ResumableUpload, StoredFile

from .conftest import blobs, make_pdf, make_png, pdf_stream

URL = "/api/v1/uploads"
TUS = {"Tus-Resumable": "1.0.0"}


def meta(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


class Tus:
    def __init__(self, client, token: str) -> None:
        self.client = client
        self.auth = {"Authorization": f"Bearer {token}", **TUS}

    def create(self, length: int, name: str = "scan.pdf", **extra) -> object:
        return self.client.post(URL, headers={**self.auth, "Upload-Length": str(length),
                                              "Upload-Metadata": meta(filename=name, **extra)})

    def start(self, content: bytes, name: str = "scan.pdf") -> str:
        response = self.create(len(content), name)
        assert response.status_code == 201, response.content
        return response["Location"]

    def patch(self, location: str, offset: int, data: bytes, content_type: str = "application/offset+octet-stream",
              **headers) -> object:
        return self.client.generic("PATCH", location, data=data, content_type=content_type,
                                   headers={**self.auth, "Upload-Offset": str(offset), **headers})

    def head(self, location: str) -> object:
        return self.client.head(location, headers=self.auth)


@pytest.fixture
def tus(demo, client, media):
    return Tus(client, token_for(client, "citizen.demo"))


def big_pdf(size: int = 300_000) -> bytes:
    return make_pdf(objects=(pdf_stream(bytes(range(256)) * (size // 256), b"/Subtype /Image /Filter /DCTDecode "),))


def rule_of(response) -> tuple[str, str]:
    body = response.json()
    assert body["errors"][0]["message_vi"] and body["errors"][0]["message_en"]
    return body["errors"][0]["field"], body["errors"][0]["rule"]


@pytest.mark.django_db
def test_options_announces_version_extensions_and_limit(client, settings):
    settings.MOTCUA_TUS_MAX_BYTES = 12345
    response = client.options(URL)
    assert response.status_code == 204
    assert response["Tus-Version"] == "1.0.0"
    assert set(response["Tus-Extension"].split(",")) == {"creation", "termination", "expiration"}
    assert response["Tus-Max-Size"] == "12345"


@pytest.mark.django_db
def test_an_upload_in_three_patches_becomes_a_stored_file(tus, media):
    content = big_pdf()
    location = tus.start(content, "Bản quét.pdf")
    assert location.startswith("http://testserver/api/v1/uploads/")
    head = tus.head(location)
    assert (head.status_code, head["Upload-Offset"], head["Upload-Length"]) == (200, "0", str(len(content)))
    assert head["Tus-Resumable"] == "1.0.0" and head["Cache-Control"] == "no-store"
    cuts = [0, 100_000, 200_000, len(content)]
    for start, end in zip(cuts, cuts[1:], strict=False):
        response = tus.patch(location, start, content[start:end])
        assert response.status_code == 204, response.content
        assert response["Upload-Offset"] == str(end)
    file_id = response["Upload-File-Id"]
    stored = StoredFile.objects.get(pk=file_id)
    assert (stored.sha256, stored.size, stored.content_type) == (hashlib.sha256(content).hexdigest(), len(content),
                                                                 "application/pdf")
    assert stored.original_name == "Bản quét.pdf" and stored.uploaded_by.username == "citizen.demo"
    assert (media / stored.storage_name).read_bytes() == content
    assert tus.head(location)["Upload-File-Id"] == file_id
    body = tus.client.get(location, headers=tus.auth).json()
    assert body["complete"] and body["file"]["id"] == file_id and body["offset"] == len(content)
    # Nothing partial is left: the finished file was renamed into its content address.
    assert blobs(media) == [media / stored.storage_name]


@pytest.mark.django_db
def test_a_resumed_upload_in_another_process_is_checked_from_disk(tus, media):
    content = big_pdf()
    location = tus.start(content)
    assert tus.patch(location, 0, content[:150_000]).status_code == 204
    resumable._inspectors._items.clear()  # as if the next PATCH reached another worker
    response = tus.patch(location, 150_000, content[150_000:])
    assert response.status_code == 204, response.content
    assert StoredFile.objects.get(pk=response["Upload-File-Id"]).sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.django_db
def test_protocol_errors(tus, client):
    content = big_pdf()
    location = tus.start(content)
    assert tus.patch(location, 0, content[:1000]).status_code == 204
    mismatch = tus.patch(location, 0, content[:1000])
    assert mismatch.status_code == 409 and rule_of(mismatch) == ("Upload-Offset", "offset")
    wrong_type = tus.patch(location, 1000, content[1000:2000], content_type="application/octet-stream")
    assert wrong_type.status_code == 415 and rule_of(wrong_type) == ("Content-Type", "content_type")
    old = client.generic("PATCH", location, data=content[1000:2000], content_type="application/offset+octet-stream",
                         headers={**tus.auth, "Tus-Resumable": "0.2.2", "Upload-Offset": "1000"})
    assert old.status_code == 412 and old["Tus-Version"] == "1.0.0" and rule_of(old) == ("Tus-Resumable", "version")
    past_end = tus.patch(location, 1000, content[1000:] + b"more")
    assert past_end.status_code == 413 and rule_of(past_end) == ("Content-Length", "upload_length")
    assert tus.head(location)["Upload-Offset"] == "1000"
    anonymous = client.head(location, headers=TUS)
    assert anonymous.status_code == 401


@pytest.mark.django_db
def test_another_users_upload_is_not_found(tus, client):
    location = tus.start(big_pdf())
    other = Tus(client, token_for(client, "shipagent.demo"))
    assert other.head(location).status_code == 404
    assert other.patch(location, 0, b"%PDF").status_code == 404
    assert client.delete(location, headers=other.auth).status_code == 404


@pytest.mark.django_db
def test_delete_terminates_and_removes_the_bytes(tus, client, media):
    content = big_pdf()
    location = tus.start(content)
    tus.patch(location, 0, content[:5000])
    assert client.delete(location, headers=tus.auth).status_code == 204
    assert tus.head(location).status_code == 404
    assert not ResumableUpload.objects.exists() and blobs(media) == []


@pytest.mark.django_db
def test_creation_limits(tus, settings):
    settings.MOTCUA_TUS_MAX_BYTES = 1000
    too_big = tus.create(1001)
    assert too_big.status_code == 413 and rule_of(too_big) == ("Upload-Length", "max_size")
    no_name = tus.create(10, name="../..")
    assert no_name.status_code == 422 and rule_of(no_name) == ("file", "name")
    empty = tus.create(0)
    assert empty.status_code == 422 and rule_of(empty) == ("file", "empty")
    no_length = tus.client.post(URL, headers={**tus.auth, "Upload-Metadata": meta(filename="a.pdf")})
    assert no_length.status_code == 400 and rule_of(no_length) == ("Upload-Length", "integer")
    settings.MOTCUA_TUS_MAX_PENDING = 2
    assert tus.create(10).status_code == 201 and tus.create(10).status_code == 201
    third = tus.create(10)
    assert third.status_code == 429 and rule_of(third) == ("uploads", "max_pending")
    assert not ResumableUpload.objects.filter(length=1001).exists()


@pytest.mark.django_db
def test_a_component_narrows_the_types_and_a_wrong_type_is_refused_early(tus, media):
    png = make_png("x" * 200) + b"\0" * 20_000
    response = tus.create(len(png), "qr.png", procedure="1.013133", component="to_khai")
    assert response.status_code == 201, response.content
    location = response["Location"]
    refused = tus.patch(location, 0, png[:9000])  # the type is known from the first 8 KiB
    assert refused.status_code == 422 and rule_of(refused) == ("file", "content_type")
    assert not ResumableUpload.objects.exists() and blobs(media) == []
    unknown = tus.create(10, "a.pdf", procedure="1.013133", component="nope")
    assert unknown.status_code == 422 and rule_of(unknown) == ("component", "exists")


@pytest.mark.django_db
def test_a_file_refused_at_completion_leaves_nothing(tus, media):
    content = make_pdf(catalog=b"/OpenAction 5 0 R ", objects=(b"<< /S /JavaScript /JS (app.alert(1)) >>",))
    location = tus.start(content)
    response = tus.patch(location, 0, content)
    assert response.status_code == 422 and rule_of(response) == ("file", "pdf_active_content")
    assert tus.head(location).status_code == 404
    assert not StoredFile.objects.exists() and not ResumableUpload.objects.exists() and blobs(media) == []


@pytest.mark.django_db
def test_the_finished_upload_is_a_file_id_of_a_dossier(demo, client, media):
    from motcua.demo.samples import FIRST_REGISTRATION_FORM

    token = token_for(client, "citizen.demo")
    tus = Tus(client, token)
    ids = []
    for name in ("to-khai.pdf", "suc-khoe.pdf", "cccd.pdf"):
        content = big_pdf(20_000 + len(ids))
        location = tus.start(content, name)
        ids.append(tus.patch(location, 0, content)["Upload-File-Id"])
    body = {"procedure": "1.013133", "form": dict(FIRST_REGISTRATION_FORM), "components": [
        {"code": code, "files": [file_id]} for code, file_id in zip(("to_khai", "phieu_tu_khai_suc_khoe", "cccd"), ids,
                                                                     strict=True)]}
    response = client.post("/api/v1/dossiers", body, content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.content


@pytest.mark.django_db
def test_clean_uploads_expires_unfinished_uploads(tus, media, frozen_clock, settings):
    settings.MOTCUA_TUS_EXPIRY_HOURS = 24
    content = big_pdf()
    unfinished = tus.start(content)
    tus.patch(unfinished, 0, content[:1000])
    finished = tus.start(content, "done.pdf")
    file_id = tus.patch(finished, 0, content)["Upload-File-Id"]
    frozen_clock.advance(timedelta(hours=23))
    call_command("clean_uploads", stdout=open("/dev/null", "w"))
    assert ResumableUpload.objects.count() == 2
    frozen_clock.advance(timedelta(hours=2))
    assert tus.head(unfinished).status_code == 404  # expired: gone for the client at once
    call_command("clean_uploads", stdout=open("/dev/null", "w"))
    assert not ResumableUpload.objects.exists()
    stored = StoredFile.objects.get(pk=file_id)
    assert blobs(media) == [media / stored.storage_name]


@pytest.mark.django_db
def test_openapi_documents_the_tus_operations(client):
    spec = client.get("/api/v1/openapi.json").json()
    assert set(spec["paths"][URL]) == {"options", "post"}
    assert set(spec["paths"][URL + "/{upload_id}"]) == {"head", "get", "patch", "delete"}
    patch = spec["paths"][URL + "/{upload_id}"]["patch"]
    assert {"204", "409", "412", "413", "415", "422"} <= set(patch["responses"])
    assert "application/offset+octet-stream" in patch["requestBody"]["content"]
    assert {p["name"] for p in patch["parameters"]} == {"upload_id", "Tus-Resumable", "Upload-Offset"}
