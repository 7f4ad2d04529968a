import hashlib
import os
import unicodedata

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from motcua.core.errors import ValidationFailed
from motcua.documents import queries, services
from motcua.documents.models import StoredFile

from .conftest import EXE, JPEG, blobs, make_pdf, make_png, object_stream, pdf_stream


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/octet-stream")


def refused(user, name: str, content: bytes, **kwargs) -> str:
    with pytest.raises(ValidationFailed) as caught:
        services.store_upload(user, upload(name, content), **kwargs)
    [error] = caught.value.errors
    assert error.field == "file"
    return error.rule


@pytest.mark.django_db
def test_a_pdf_is_stored_at_its_content_address(user, media):
    content = make_pdf()
    stored = services.store_upload(user, upload("Tờ khai.pdf", content))
    sha = hashlib.sha256(content).hexdigest()
    assert (stored.sha256, stored.size, stored.content_type) == (sha, len(content), "application/pdf")
    assert stored.storage_name == f"files/{sha[:2]}/{sha[2:4]}/{sha}"
    assert stored.original_name == "Tờ khai.pdf"
    assert stored.uploaded_by == user
    assert blobs(media) == [media / stored.storage_name]
    assert (media / stored.storage_name).read_bytes() == content
    with services.open_file(stored) as handle:
        assert handle.read() == content


@pytest.mark.django_db
@pytest.mark.parametrize("name, content, content_type", [
    ("qr.png", make_png(), "image/png"),
    ("photo.JPG", JPEG, "image/jpeg"),
    ("photo.jpeg", JPEG, "image/jpeg"),
])
def test_images_are_stored_with_the_sniffed_type(user, media, name, content, content_type):
    stored = services.store_upload(user, SimpleUploadedFile(name, content, content_type="application/pdf"))
    assert stored.content_type == content_type


@pytest.mark.django_db
def test_identical_content_from_two_users_is_one_blob_and_two_rows(user, other_user, media):
    content = make_png("same")
    first = services.store_upload(user, upload("a.png", content))
    second = services.store_upload(other_user, upload("b.png", content))
    assert first.pk != second.pk
    assert first.storage_name == second.storage_name
    assert (first.uploaded_by, second.uploaded_by) == (user, other_user)
    assert StoredFile.objects.filter(sha256=first.sha256).count() == 2
    assert blobs(media) == [media / first.storage_name]


@pytest.mark.django_db
@pytest.mark.parametrize("name, content, rule", [
    ("empty.pdf", b"", "empty"),
    ("setup.pdf", EXE, "content_type"),
    ("notes.pdf", b"just some text, not a PDF at all\n" * 10, "content_type"),
    ("scan.png", make_pdf(), "extension_mismatch"),
    ("scan", make_pdf(), "extension_mismatch"),
    ("qr.pdf", make_png(), "extension_mismatch"),
    ("photo.png", JPEG, "extension_mismatch"),
    ("cut.pdf", make_pdf(eof=False), "truncated"),
    ("cut.pdf", make_pdf()[:-300], "truncated"),
    ("script.pdf", make_pdf(catalog=b"/OpenAction 5 0 R ", objects=(b"<< /S /JavaScript /JS (x) >>",)),
     "pdf_active_content"),
    ("launch.pdf", make_pdf(objects=(b"<< /S /Launch /F (cmd.exe) >>",)), "pdf_active_content"),
    ("attached.pdf", make_pdf(objects=(pdf_stream(b"MZ", b"/Type /EmbeddedFile "),)), "pdf_active_content"),
    ("hidden.pdf", make_pdf(objects=(object_stream([b"<< /S /J#61vaScript /JS (x) >>"]),)), "pdf_active_content"),
    ("...", make_pdf(), "name"),
    ("\u202e\u0007", make_pdf(), "name"),
    (" . ", make_pdf(), "name"),
])
def test_each_rule_refuses_and_stores_nothing(user, media, name, content, rule):
    assert refused(user, name, content) == rule
    assert not StoredFile.objects.exists()
    assert blobs(media) == []


@pytest.mark.django_db
def test_the_size_limit_comes_from_settings(user, media, settings):
    content = make_pdf(objects=(pdf_stream(b"0" * 5000),))
    settings.MOTCUA_MAX_UPLOAD_BYTES = len(content) - 1
    assert refused(user, "big.pdf", content) == "max_size"
    settings.MOTCUA_MAX_UPLOAD_BYTES = len(content)
    assert services.store_upload(user, upload("big.pdf", content)).size == len(content)


@pytest.mark.django_db
def test_the_size_is_counted_while_reading_not_taken_from_the_upload(user, media, settings):
    settings.MOTCUA_MAX_UPLOAD_BYTES = 1000
    lying = upload("big.pdf", make_pdf(objects=(pdf_stream(b"0" * 5000),)))
    lying.size = 10
    with pytest.raises(ValidationFailed) as caught:
        services.store_upload(user, lying)
    assert caught.value.errors[0].rule == "max_size"
    assert blobs(media) == []


@pytest.mark.django_db
def test_active_content_cut_by_a_chunk_boundary_is_found(user, media):
    # "/JavaScript" straddles the 64 KiB boundary of the chunks the service reads.
    head = make_pdf()[:9] + b"%" + b"x" * 100 + b"\n"
    padding = services.CHUNK_SIZE - len(head) - len(b"1 0 obj\n<< /S /Java")
    content = head + b"%" + b"p" * (padding - 2) + b"\n" + b"1 0 obj\n<< /S /JavaScript >>\nendobj\n%%EOF\n"
    assert content.index(b"/JavaScript") < services.CHUNK_SIZE < content.index(b"/JavaScript") + len(b"/JavaScript")
    assert refused(user, "long.pdf", content) == "pdf_active_content"


@pytest.mark.django_db
def test_binary_data_in_streams_is_no_false_alarm(user, media):
    image = b"\xff\xd8" + b"/JS /Launch (" * 3000 + b"\xff\xd9"
    content = make_pdf(objects=(pdf_stream(image, b"/Subtype /Image /Filter /DCTDecode "),))
    assert services.store_upload(user, upload("scan.pdf", content)).size == len(content)


@pytest.mark.django_db
def test_the_content_type_message_names_what_was_found_and_what_is_allowed(user, media):
    with pytest.raises(ValidationFailed) as caught:
        services.store_upload(user, upload("qr.png", make_png()), accept=["application/pdf"])
    error = caught.value.as_dict()["errors"][0]
    assert error["rule"] == "content_type"
    assert "image/png" in error["message_en"] and "application/pdf" in error["message_en"]
    assert "image/png" in error["message_vi"] and "application/pdf" in error["message_vi"]


@pytest.mark.django_db
def test_accept_narrows_the_settings_and_cannot_widen_them(user, media, settings):
    assert refused(user, "a.pdf", make_pdf(), accept=["image/png", "image/jpeg"]) == "content_type"
    assert services.store_upload(user, upload("a.pdf", make_pdf()), accept=["application/pdf"])
    assert services.store_upload(user, upload("b.pdf", make_pdf()), accept=[])  # empty: the default set
    settings.MOTCUA_UPLOAD_TYPES = ["image/png"]
    assert refused(user, "c.pdf", make_pdf(), accept=["application/pdf"]) == "content_type"
    assert refused(user, "d.pdf", make_pdf()) == "content_type"


@pytest.mark.parametrize("given, expected", [
    ("C:\\Users\\an\\Desktop\\scan.pdf", "scan.pdf"),
    ("../../etc/passwd.pdf", "passwd.pdf"),
    ("..hidden.pdf", "hidden.pdf"),
    ("  spaced .pdf  ", "spaced .pdf"),
    ("a\x00b\x1f\x7fc.pdf", "abc.pdf"),
    ("\u202efdp.exe", "fdp.exe"),  # a right-to-left override that would show it as "exe.pdf"
    (unicodedata.normalize("NFD", "Giấy khai sinh.pdf"), unicodedata.normalize("NFC", "Giấy khai sinh.pdf")),
    ("...", ""),
    ("", ""),
    (None, ""),
])
def test_names_are_sanitized(given, expected):
    assert services.sanitize_name(given) == expected


def test_long_names_keep_their_extension():
    name = services.sanitize_name("đ" * 400 + ".pdf")
    assert len(name) == 255 and name.endswith(".pdf")


@pytest.mark.django_db
def test_a_concurrent_writer_on_a_remote_style_storage_leaves_one_blob(user, settings, monkeypatch):
    """Backends other than the local folder go through Storage.save(); one that renames on collision (as
    FileSystemStorage or S3 with file_overwrite=False do) gets its extra copy deleted."""
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"}}
    content = make_pdf()
    sha = hashlib.sha256(content).hexdigest()
    name = f"files/{sha[:2]}/{sha[2:4]}/{sha}"
    default_storage.save(name, upload("x", content))  # the other writer got there first ...
    real_exists = type(default_storage._wrapped).exists
    calls = []

    def exists(self, n):  # ... just after our exists() said no
        calls.append(n)
        return False if len(calls) == 1 else real_exists(self, n)

    monkeypatch.setattr(type(default_storage._wrapped), "exists", exists)
    stored = services.store_upload(user, upload("a.pdf", content))
    monkeypatch.undo()
    assert calls[0] == name and len(calls) > 1
    assert stored.storage_name == name
    _dirs, files = default_storage.listdir(f"files/{sha[:2]}/{sha[2:4]}")
    assert files == [sha]


@pytest.mark.django_db
def test_a_failed_row_leaves_no_partial_blob_and_a_retry_works(user, media, monkeypatch):
    content = make_pdf()

    def broken(**kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(StoredFile.objects, "create", broken)
    with pytest.raises(RuntimeError):
        services.store_upload(user, upload("a.pdf", content))
    monkeypatch.undo()
    assert not StoredFile.objects.exists()
    assert [p.name for p in blobs(media)] == [hashlib.sha256(content).hexdigest()]  # whole, reusable
    stored = services.store_upload(user, upload("a.pdf", content))
    assert (media / stored.storage_name).read_bytes() == content
    assert not [p for p in blobs(media) if p.name.startswith(".upload-")]


@pytest.mark.django_db
def test_local_blobs_are_written_whole_with_the_configured_permissions(user, media, settings):
    settings.FILE_UPLOAD_PERMISSIONS = 0o640
    stored = services.store_upload(user, upload("a.png", make_png("perm")))
    assert os.stat(media / stored.storage_name).st_mode & 0o777 == 0o640


@pytest.mark.django_db
def test_queries_return_only_the_users_own_files(user, other_user, media):
    mine = services.store_upload(user, upload("a.png", make_png("mine")))
    theirs = services.store_upload(other_user, upload("b.png", make_png("theirs")))
    assert queries.file_for(user, mine.pk) == mine
    assert queries.file_for(user, str(mine.pk)) == mine
    assert queries.file_for(user, theirs.pk) is None
    assert queries.file_for(user, "not-a-uuid") is None
    found = queries.files_by_ids(user, [str(mine.pk).upper(), theirs.pk, "junk", None])
    assert list(found) == [mine.pk]
    assert found[mine.pk] == mine and found.get(str(mine.pk)) == mine and str(mine.pk) in found
    assert found.get(str(theirs.pk)) is None
    assert queries.files_by_ids(user, []) == {}
