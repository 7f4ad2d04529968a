"""The applicant's dossier pages: the submission wizard, my dossiers, one dossier and its actions, tracking."""

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from motcua.dossiers import actions
from motcua.dossiers.models import Dossier, DossierFile, Status
from motcua.dossiers.tests.conftest import FIRST_REGISTRATION_FORM, MINIMAL_PDF
from motcua.identity.models import User
from motcua.portal import forms_render

pytestmark = pytest.mark.django_db
SUBMIT_URL = "/procedures/1.013133/submit/"


def pdf(name: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, MINIMAL_PDF, content_type="application/pdf")


def login(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def wizard_body(token: str = "token-0123456789abcdef", **form_overrides) -> dict:
    """A complete first-registration wizard POST: the e-form and three PDFs."""
    form = {**FIRST_REGISTRATION_FORM, **form_overrides}
    body = {"idempotency_key": token, **{f"form.{key}": value for key, value in form.items() if value is not None}}
    body.update({"comp.to_khai": pdf("to-khai.pdf"), "comp.phieu_tu_khai_suc_khoe": pdf("suc-khoe.pdf"),
                 "comp.cccd": pdf("cccd.pdf")})
    return body


@pytest.fixture
def pages(demo, settings, tmp_path, frozen_clock):
    settings.MEDIA_ROOT = tmp_path / "media"
    return login


def submit_as(client: Client, token: str = "token-0123456789abcdef") -> Dossier:
    response = client.post(SUBMIT_URL, wizard_body(token))
    assert response.status_code == 302, response.content.decode()[:3000]
    return Dossier.objects.get(code=response["Location"].rstrip("/").rsplit("/", 1)[-1])


# --- the wizard ---------------------------------------------------------------------------------------------------

def tag(html: str, element_id: str) -> dict:
    """The attributes of the element with this id (boolean attributes map to "")."""
    found = re.search(r'<(\w+)\b([^>]*\bid="' + re.escape(element_id) + r'"[^>]*)>', html)
    assert found, element_id
    attrs = {name: value for name, value in re.findall(r'([\w:-]+)(?:="([^"]*)")?', found.group(2))}
    return {"tag": found.group(1), **attrs}


def test_the_wizard_renders_the_e_form_and_one_file_input_per_component(pages):
    html = pages("citizen.demo").get(SUBMIT_URL).content.decode()
    cccd = tag(html, "id_form-so_cccd")
    assert (cccd["tag"], cccd["type"], cccd["name"]) == ("input", "text", "form.so_cccd")
    assert (cccd["maxlength"], cccd["minlength"], cccd["pattern"]) == ("12", "12", r"^\d{12}$") and "required" in cccd
    assert tag(html, "id_form-ngay_sinh")["type"] == "date"
    assert tag(html, "id_form-trinh_do_hoc_van")["tag"] == "select"
    assert "Tốt nghiệp trung học phổ thông" in html  # the enum's label, not its value
    assert "required" not in tag(html, "id_form-noi_lam_viec_hoc_tap")
    for code in ("to_khai", "phieu_tu_khai_suc_khoe", "cccd", "van_bang"):
        upload = tag(html, f"id_components-{code}")
        assert (upload["type"], upload["name"]) == ("file", f"comp.{code}") and "multiple" in upload
        assert ("required" in upload) == (code != "van_bang")
    assert tag(html, "id_components-cccd")["accept"] == "application/pdf,image/jpeg,image/png"
    assert 'enctype="multipart/form-data"' in html and 'name="idempotency_key"' in html
    assert 'name="owner.name"' in html and "<details>" in html  # owner fields folded away for self-submission
    for element in re.findall(r"<(?:input|select|textarea)\b[^>]*>", html):
        if 'type="hidden"' in element:
            continue
        field_id = re.search(r'id="([^"]+)"', element).group(1)
        assert f'for="{field_id}"' in html, element


def test_the_wizard_speaks_english_with_the_schemas_english_labels(pages):
    citizen = pages("citizen.demo")
    citizen.cookies["motcua_language"] = "en"
    html = citizen.get(SUBMIT_URL).content.decode()
    assert '<html lang="en">' in html
    assert '<label for="id_form-ho_ten">Full name' in html and ">Upper secondary</option>" in html
    assert "First-time military service registration declaration" in html  # the component's English name


def test_citizen_submits_through_the_page_and_sees_code_and_key(pages):
    citizen = pages("citizen.demo")
    response = citizen.post(SUBMIT_URL, wizard_body())
    assert response.status_code == 302
    dossier = Dossier.objects.get()
    assert response["Location"] == f"/my/dossiers/{dossier.code}/"
    assert (dossier.status, dossier.channel, dossier.applicant.username) == (Status.NEW, 2, "citizen.demo")
    assert dossier.form_data == FIRST_REGISTRATION_FORM
    assert sorted(DossierFile.objects.values_list("component_code", flat=True)) == [
        "cccd", "phieu_tu_khai_suc_khoe", "to_khai"]
    page = citizen.get(response["Location"]).content.decode()
    assert dossier.code in page and dossier.lookup_key in page
    assert re.search(r'class="messages".*' + re.escape(dossier.code), page, re.S)


def test_a_double_click_files_one_dossier(pages):
    citizen = pages("citizen.demo")
    first = citizen.post(SUBMIT_URL, wizard_body("same-token-0123456789"))
    second = citizen.post(SUBMIT_URL, wizard_body("same-token-0123456789"))
    assert first["Location"] == second["Location"]
    assert Dossier.objects.count() == 1


def test_a_bad_form_re_renders_with_each_error_next_to_its_field_and_files_nothing(pages):
    citizen = pages("citizen.demo")
    response = citizen.post(SUBMIT_URL, wizard_body(so_cccd="12345", ho_ten=None))
    assert response.status_code == 422
    html = response.content.decode()
    assert Dossier.objects.count() == 0
    # The summary links to the fields; each message sits next to its field; the typed value is kept.
    assert 'href="#id_form-so_cccd"' in html and 'href="#id_form-ho_ten"' in html
    assert re.search(r'id="id_form-so_cccd-error">.*?</ul>\s*<input [^>]*id="id_form-so_cccd"', html, re.S)
    assert tag(html, "id_form-so_cccd")["value"] == "12345"
    assert tag(html, "id_form-so_cccd")["aria-invalid"] == "true"
    # The files already stored are offered again, so the corrected form needs no new upload.
    kept = re.findall(r'name="keep\.(\w+)" value="([0-9a-f-]+)"', html)
    assert sorted(code for code, _id in kept) == ["cccd", "phieu_tu_khai_suc_khoe", "to_khai"]
    body = {"idempotency_key": "token-0123456789abcdef",
            **{f"form.{k}": v for k, v in FIRST_REGISTRATION_FORM.items()}}
    for code, file_id in kept:
        body[f"keep.{code}"] = file_id
    assert citizen.post(SUBMIT_URL, body).status_code == 302
    assert DossierFile.objects.filter(dossier=Dossier.objects.get()).count() == 3


def test_a_refused_upload_is_reported_on_its_component(pages):
    body = wizard_body()
    body["comp.cccd"] = SimpleUploadedFile("cccd.pdf", b"just some text, not a PDF", content_type="application/pdf")
    response = pages("citizen.demo").post(SUBMIT_URL, body)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'href="#id_components-cccd"' in html
    assert re.search(r'id="id_components-cccd-error"><li>cccd\.pdf: ', html)
    assert Dossier.objects.count() == 0


def test_kept_files_must_be_the_users_own(pages):
    citizen, other = pages("citizen.demo"), pages("citizen2.demo")
    bad = other.post(SUBMIT_URL, wizard_body(so_cccd="1"))
    stolen = re.findall(r'name="keep\.(\w+)" value="([0-9a-f-]+)"', bad.content.decode())
    body = {"idempotency_key": "token-0123456789abcdef", **{f"form.{k}": v for k, v in FIRST_REGISTRATION_FORM.items()}}
    body.update({f"keep.{code}": file_id for code, file_id in stolen})
    response = citizen.post(SUBMIT_URL, body)
    assert response.status_code == 422 and Dossier.objects.count() == 0


def test_staff_are_sent_to_the_desk_and_offline_procedures_back(pages):
    assert pages("onestop.demo").get(SUBMIT_URL)["Location"] == "/backoffice/desk/1.013133/"
    response = pages("citizen.demo").get("/procedures/1.011501/submit/")  # not offered online
    assert response.status_code == 302 and response["Location"] == "/procedures/1.011501/"
    assert pages("citizen.demo").get("/procedures/9.999999/submit/").status_code == 404
    assert Client().get(SUBMIT_URL)["Location"].startswith("/account/login/")


def test_the_procedure_page_offers_online_submission_only_when_online(pages, client):
    assert 'href="/procedures/1.013133/submit/"' in client.get("/procedures/1.013133/").content.decode()
    assert "/submit/" not in client.get("/procedures/1.011501/").content.decode()


# --- my dossiers and one dossier ----------------------------------------------------------------------------------

def test_my_dossiers_lists_only_mine_newest_first_in_pages(pages, monkeypatch):
    from motcua.portal import dossier_views

    citizen = pages("citizen.demo")
    codes = [submit_as(citizen, f"token-{n}-0123456789abcdef").code for n in range(3)]
    theirs = pages("citizen2.demo").get("/my/dossiers/").content.decode()
    assert not any(code in theirs for code in codes)
    monkeypatch.setattr(dossier_views, "PAGE_SIZE", 2)
    first = citizen.get("/my/dossiers/").content.decode().split("<h1>")[1]  # after the flash messages
    assert codes[2] in first and codes[1] in first and codes[0] not in first
    assert first.index(codes[2]) < first.index(codes[1])
    cursor = re.search(r'href="\?before=(\d+)"', first).group(1)
    second = citizen.get("/my/dossiers/", {"before": cursor}).content.decode()
    assert codes[0] in second and codes[1] not in second


def test_another_citizen_gets_404_on_my_dossier(pages):
    dossier = submit_as(pages("citizen.demo"))
    other = pages("citizen2.demo")
    assert other.get(f"/my/dossiers/{dossier.code}/").status_code == 404
    assert other.post(f"/my/dossiers/{dossier.code}/", {"action": "withdraw"}).status_code == 404
    assert other.get(f"/my/dossiers/{dossier.code}/slips/control/").status_code == 404
    assert Dossier.objects.get().status == Status.NEW


def test_the_dossier_page_shows_status_timeline_and_component_links(pages):
    citizen = pages("citizen.demo")
    dossier = submit_as(citizen)
    html = citizen.get(f"/my/dossiers/{dossier.code}/").content.decode()
    assert 'data-testid="status">' + str(Status.NEW.label) in html
    assert 'data-testid="timeline"' in html and "Đã nộp hồ sơ" in html
    for item in dossier.files.all():
        link = f"/api/v1/dossiers/{dossier.code}/files/{item.file_id}"
        assert f'href="{link}"' in html
    assert 'data-testid="form-withdraw"' in html and 'data-testid="form-supplement"' not in html
    assert "Nguyễn Văn An" in html and "Tốt nghiệp trung học phổ thông" in html  # the declaration, with labels


def test_the_applicant_answers_a_supplement_request_with_new_files(pages):
    citizen = pages("citizen.demo")
    dossier = submit_as(citizen)
    onestop = User.objects.get(username="onestop.demo")
    actions.act(onestop, dossier, "accept", {})
    actions.act(onestop, dossier, "request_supplement", {"items": ["Bản sao văn bằng cao nhất", "Ảnh 4x6"]})
    page = citizen.get(f"/my/dossiers/{dossier.code}/").content.decode()
    assert 'data-testid="requested-items"><li>Bản sao văn bằng cao nhất</li><li>Ảnh 4x6</li>' in page
    response = citizen.post(f"/my/dossiers/{dossier.code}/", {
        "action": "supplement", "comp.van_bang": pdf("van-bang.pdf"), "note": "Đã bổ sung",
        **{f"form.{k}": v for k, v in FIRST_REGISTRATION_FORM.items()}})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED and dossier.revision == 2
    assert dossier.files.filter(component_code="van_bang", revision=2).exists()
    event = dossier.events.get(action="supplement")
    assert event.note == "Đã bổ sung" and "previous_form" not in event.data  # the unchanged form is not resent


def test_a_supplement_with_a_bad_form_value_is_refused_in_place(pages):
    citizen = pages("citizen.demo")
    dossier = submit_as(citizen)
    onestop = User.objects.get(username="onestop.demo")
    actions.act(onestop, dossier, "request_supplement", {"items": ["Sửa số CCCD"]})
    response = citizen.post(f"/my/dossiers/{dossier.code}/", {
        "action": "supplement", **{f"form.{k}": v for k, v in FIRST_REGISTRATION_FORM.items()}, "form.so_cccd": "9"})
    assert response.status_code == 422
    assert 'href="#id_form-so_cccd"' in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.SUPPLEMENT


def test_withdraw_and_the_stop_notice(pages):
    citizen = pages("citizen.demo")
    dossier = submit_as(citizen)
    assert citizen.get(f"/my/dossiers/{dossier.code}/slips/stop/").status_code == 404
    response = citizen.post(f"/my/dossiers/{dossier.code}/", {"action": "withdraw", "reason": "Nộp nhầm thủ tục"})
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.WITHDRAWN
    slip = citizen.get(f"/my/dossiers/{dossier.code}/slips/stop/").content.decode()
    assert "Nộp nhầm thủ tục" in slip and dossier.code in slip and "<svg" in slip
    assert "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in slip


def test_paying_through_the_sandbox_gateway(pages):
    citizen = pages("citizen.demo")
    dossier = submit_as(citizen)
    onestop = User.objects.get(username="onestop.demo")
    actions.act(onestop, dossier, "accept", {})
    actions.act(onestop, dossier, "request_payment", {"amount_vnd": 50000})
    page = citizen.get(f"/my/dossiers/{dossier.code}/").content.decode()
    assert 'data-testid="form-pay"' in page and "50.000 ₫" in page
    to_gateway = citizen.post(f"/my/dossiers/{dossier.code}/pay/")
    assert to_gateway.status_code == 302 and to_gateway["Location"].startswith("/sandbox/pay/MC")
    assert "50.000 ₫" in citizen.get(to_gateway["Location"]).content.decode()
    back = citizen.post(to_gateway["Location"], {"choice": "pay"})
    assert back.status_code == 302 and back["Location"].endswith(f"/my/dossiers/{dossier.code}/")
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED
    paid = dossier.events.get(action="pay").data
    assert paid["online"] is True and paid["gateway"] == "sandbox" and paid["transaction_id"].startswith("SBX")
    page = citizen.get(f"/my/dossiers/{dossier.code}/").content.decode()
    assert 'data-testid="payment-success"' in page and 'data-testid="form-pay"' not in page


def test_an_action_the_applicant_may_not_take_answers_409(pages):
    citizen = pages("citizen.demo")
    dossier = submit_as(citizen)
    response = citizen.post(f"/my/dossiers/{dossier.code}/", {"action": "accept"})
    assert response.status_code == 409
    assert "withdraw" in response.content.decode() and 'data-testid="error-summary"' in response.content.decode()
    assert citizen.post(f"/my/dossiers/{dossier.code}/", {"action": "rate", "score": "5"}).status_code == 409


def test_slips_answer_404_for_kinds_with_no_event(pages):
    citizen = pages("citizen.demo")
    dossier = submit_as(citizen)
    for kind in ("receipt", "supplement", "refusal", "apology", "stop", "nonsense"):
        assert citizen.get(f"/my/dossiers/{dossier.code}/slips/{kind}/").status_code == 404, kind
    assert citizen.get(f"/my/dossiers/{dossier.code}/slips/control/").status_code == 200


# --- public tracking ----------------------------------------------------------------------------------------------

def test_tracking_shows_the_status_but_no_personal_data(pages, client, settings):
    settings.MOTCUA_TRACK_RATE = (1000, 60)
    dossier = submit_as(pages("citizen.demo"))
    assert client.get("/track/").status_code == 200
    response = client.post("/track/", {"code": dossier.code, "key": dossier.lookup_key.lower()})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="track-result"' in html and f'data-testid="status">{Status.NEW.label}' in html
    assert "Nguyễn Văn An" not in html and "001209012345" not in html and "Hoàng Hoa Thám" not in html
    wrong = client.post("/track/", {"code": dossier.code, "key": "WRONGKEY"})
    assert wrong.status_code == 404 and 'data-testid="track-result"' not in wrong.content.decode()
    assert client.post("/track/", {"code": "", "key": ""}).status_code == 422


def test_tracking_is_rate_limited(pages, client, settings):
    from django.core.cache import cache

    dossier = submit_as(pages("citizen.demo"))
    cache.clear()  # counts of earlier tests in this clock minute
    settings.MOTCUA_TRACK_RATE = (3, 60)
    statuses = [client.post("/track/", {"code": dossier.code, "key": dossier.lookup_key}).status_code
                for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]


# --- e-form rendering and parsing ---------------------------------------------------------------------------------

SCHEMA = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "title": "Tên", "x-title-en": "Name", "maxLength": 10},
        "count": {"type": "integer", "title": "Số lượng", "minimum": 1, "maximum": 9},
        "ratio": {"type": "number", "title": "Tỷ lệ"},
        "agree": {"type": "boolean", "title": "Đồng ý"},
        "flag": {"type": "boolean", "title": "Cờ"},
        "note": {"type": "string", "title": "Ghi chú", "x-widget": "textarea", "description": "Mô tả"},
        "mail": {"type": "string", "title": "Thư", "format": "email"},
        "kind": {"type": "string", "title": "Loại", "enum": ["a", "b"],
                 "x-enum-labels": {"a": {"vi": "Loại A", "en": "Kind A"}}},
    },
    "required": ["name", "agree"],
}


def test_parse_eform_converts_types_and_omits_empty_optional_values():
    posted = {"form.name": "  An ", "form.count": "3", "form.ratio": "1,5", "form.agree": "on", "form.note": "",
              "form.mail": "", "form.kind": "a"}
    assert forms_render.parse_eform(SCHEMA, posted) == {"name": "An", "count": 3, "ratio": 1.5, "agree": True,
                                                        "kind": "a"}
    # A required box left unticked is an answer (false); a number that is not one stays text for the schema check.
    assert forms_render.parse_eform(SCHEMA, {"form.count": "3.5", "form.ratio": "x"}) == {
        "count": "3.5", "ratio": "x", "agree": False}


def test_eform_fields_carry_the_schema_constraints_and_labels_in_the_language():
    fields = {f.name: f for f in forms_render.eform_fields(SCHEMA, {"count": 2}, {"form.name": ["Bad"]}, "en")}
    assert fields["name"].label == "Name" and fields["count"].label == "Số lượng"  # no English title: Vietnamese
    assert 'maxlength="10"' in fields["name"].attrs and "required" in fields["name"].attrs
    assert 'aria-invalid="true"' in fields["name"].attrs and fields["name"].errors == ["Bad"]
    assert 'min="1"' in fields["count"].attrs and 'max="9"' in fields["count"].attrs and fields["count"].value == "2"
    assert fields["count"].kind == "number" and 'step="1"' in fields["count"].attrs
    assert fields["agree"].kind == "checkbox" and "required" not in fields["agree"].attrs
    assert fields["note"].kind == "textarea" and "id_form-note-help" in fields["note"].attrs
    assert fields["mail"].kind == "email"
    assert fields["kind"].kind == "select" and fields["kind"].choices == [("a", "Kind A"), ("b", "b")]
