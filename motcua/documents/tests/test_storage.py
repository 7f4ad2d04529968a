"""Storage backends (the local folder, S3 through django-storages against moto_server on loopback) and
`manage.py verify_files`."""

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command

from motcua.documents import services
from motcua.documents.models import StoredFile
from tests.s3server import ACCESS_KEY, REGION, SECRET_KEY, MotoServer

from .conftest import make_pdf, make_png
from .test_tus import Tus, big_pdf

REPO = Path(__file__).resolve().parents[3]
BUCKET = "motcua-files"


@pytest.fixture(scope="module")
def moto_server(tmp_path_factory) -> Iterator[MotoServer]:
    """moto's S3 server on 127.0.0.1 (its own process group, stopped after the module's tests)."""
    with MotoServer(tmp_path_factory.mktemp("moto")) as server:
        yield server


@pytest.fixture
def s3(moto_server, settings):
    """The default storage on a fresh bucket of moto_server, as MOTCUA_STORAGE=s3 configures it."""
    bucket = f"{BUCKET}-{os.urandom(4).hex()}"
    moto_server.create_bucket(bucket)
    client = moto_server.client()
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "storages.backends.s3.S3Storage", "OPTIONS": {
        "bucket_name": bucket, "endpoint_url": moto_server.endpoint, "region_name": REGION, "default_acl": None,
        "file_overwrite": False, "addressing_style": "path", "signature_version": "s3v4",
        "access_key": ACCESS_KEY, "secret_key": SECRET_KEY}}}
    client.bucket = bucket
    return client


def objects(s3) -> dict[str, bytes]:
    listing = s3.list_objects_v2(Bucket=s3.bucket).get("Contents", [])
    return {item["Key"]: s3.get_object(Bucket=s3.bucket, Key=item["Key"])["Body"].read() for item in listing}


def verify() -> tuple[str, bool]:
    out = StringIO()
    try:
        call_command("verify_files", stdout=out)
    except CommandError:
        return out.getvalue(), False
    return out.getvalue(), True


def test_settings_build_the_s3_storage_from_the_environment(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOTCUA_")}
    env.update(MOTCUA_DATA_DIR=str(tmp_path), MOTCUA_STORAGE="s3", MOTCUA_S3_BUCKET="dossiers",
               MOTCUA_S3_ENDPOINT_URL="http://127.0.0.1:9000", MOTCUA_S3_ACCESS_KEY_ID="id",
               MOTCUA_S3_SECRET_ACCESS_KEY="secret", MOTCUA_S3_ADDRESSING_STYLE="path", MOTCUA_S3_REGION="vn-north-1",
               DJANGO_SETTINGS_MODULE="motcua.settings")
    code = "import json; from django.conf import settings; print(json.dumps(settings.STORAGES['default']))"
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True,
                            check=True)
    default = json.loads(result.stdout)
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert {k: default["OPTIONS"][k] for k in ("bucket_name", "endpoint_url", "access_key", "secret_key",
                                               "addressing_style", "region_name")} == {
        "bucket_name": "dossiers", "endpoint_url": "http://127.0.0.1:9000", "access_key": "id",
        "secret_key": "secret", "addressing_style": "path", "region_name": "vn-north-1"}


@pytest.mark.s3
@pytest.mark.django_db
def test_uploads_go_to_s3_content_addressed_and_deduplicated(s3, user, other_user, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    content = make_pdf()
    first = services.store_upload(user, SimpleUploadedFile("a.pdf", content))
    second = services.store_upload(other_user, SimpleUploadedFile("b.pdf", content))
    assert first.storage_name == second.storage_name
    assert objects(s3) == {first.storage_name: content}
    with services.open_file(first) as handle:
        assert handle.read() == content


@pytest.mark.s3
@pytest.mark.django_db
def test_a_tus_upload_lands_in_s3_and_leaves_no_partial_file(s3, demo, client, tmp_path, settings):
    from conftest import token_for

    settings.MEDIA_ROOT = str(tmp_path / "media")
    tus = Tus(client, token_for(client, "citizen.demo"))
    content = big_pdf()
    location = tus.start(content)
    tus.patch(location, 0, content[:70_000])
    file_id = tus.patch(location, 70_000, content[70_000:])["Upload-File-Id"]
    stored = StoredFile.objects.get(pk=file_id)
    assert objects(s3) == {stored.storage_name: content}
    assert [p for p in (tmp_path / "media").rglob("*") if p.is_file()] == []


@pytest.mark.s3
@pytest.mark.django_db
def test_verify_files_on_s3_reports_a_corrupt_and_a_missing_object(s3, user, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    kept, damaged, lost = (services.store_upload(user, SimpleUploadedFile(n, c)) for n, c in
                           [("a.pdf", make_pdf()), ("b.png", make_png("b")), ("c.png", make_png("c"))])
    assert verify()[1]
    s3.put_object(Bucket=s3.bucket, Key=damaged.storage_name, Body=b"\x89PNG damaged")
    s3.delete_object(Bucket=s3.bucket, Key=lost.storage_name)
    output, ok = verify()
    assert not ok
    assert f"CORRUPT {damaged.storage_name}" in output and hashlib.sha256(b"\x89PNG damaged").hexdigest() in output
    assert f"MISSING {lost.storage_name}" in output
    assert kept.storage_name not in output and "3 stored file(s) checked" in output


@pytest.mark.django_db
def test_verify_files_on_the_local_folder(user, other_user, media):
    content = make_png("shared")
    shared = services.store_upload(user, SimpleUploadedFile("a.png", content))
    services.store_upload(other_user, SimpleUploadedFile("b.png", content))
    lost = services.store_upload(user, SimpleUploadedFile("c.pdf", make_pdf()))
    output, ok = verify()
    assert ok and "2 stored file(s) checked" in output and "0 problem(s)" in output
    (media / shared.storage_name).write_bytes(content[:-1] + b"\0")
    (media / lost.storage_name).unlink()
    output, ok = verify()
    assert not ok
    assert f"CORRUPT {shared.storage_name}: named by 2 file record(s)" in output
    assert f"MISSING {lost.storage_name}: named by 1 file record(s)" in output
