"""The officer's pages: home with inbox counts, inboxes, search, the workspace and its actions, desk submission,
slips; and the whole journey through the pages, the applicant rating it at the end."""

import re
from datetime import timedelta

import pytest
from django.test import Client

from motcua.dossiers import actions
from motcua.dossiers.models import Channel, Dossier, Status
from motcua.identity.models import User
from motcua.portal.tests.test_dossier_pages import login, submit_as, tag, wizard_body

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(demo, settings, tmp_path, frozen_clock):
    settings.MEDIA_ROOT = tmp_path / "media"
    return login


@pytest.fixture
def submitted(pages):
    """citizen.demo's first registration, submitted through the page on Monday 23/11/2026 09:00."""
    return submit_as(pages("citizen.demo"))


def workspace(code: str) -> str:
    return f"/backoffice/dossiers/{code}/"


def act(client: Client, code: str, action: str, **fields) -> object:
    return client.post(workspace(code), {"action": action, **fields})


# --- access -------------------------------------------------------------------------------------------------------

def test_applicants_get_403_and_visitors_the_login(pages, submitted):
    citizen = pages("citizen.demo")
    for url in ("/backoffice/", "/backoffice/inbox/new/", "/backoffice/search/?q=a", workspace(submitted.code),
                f"{workspace(submitted.code)}slips/control/", "/backoffice/desk/1.013133/"):
        assert citizen.get(url).status_code == 403, url
        assert Client().get(url)["Location"].startswith("/account/login/"), url
    assert citizen.post(workspace(submitted.code), {"action": "accept"}).status_code == 403
    assert Dossier.objects.get().status == Status.NEW


def test_home_shows_roles_and_each_inbox_with_its_count(pages, submitted):
    html = pages("onestop.demo").get("/backoffice/").content.decode()
    assert "000.05.12.H26" in html  # the role's unit
    for name in ("new", "mine", "supplement", "near_due", "overdue"):
        assert f'href="/backoffice/inbox/{name}/"' in html
    counts = dict(re.findall(r'href="/backoffice/inbox/(\w+)/" data-testid="inbox-\w+"><span class="count-big">(\d+)',
                             html))
    assert counts == {"new": "1", "mine": "1", "supplement": "0", "near_due": "0", "overdue": "0"}


def test_the_new_inbox_lists_the_submitted_dossier(pages, submitted):
    onestop = pages("onestop.demo")
    html = onestop.get("/backoffice/inbox/new/").content.decode()
    assert f'href="/backoffice/dossiers/{submitted.code}/"' in html and "Nguyễn Văn An" in html
    assert submitted.code not in pages("handler.demo").get("/backoffice/inbox/new/").content.decode()
    assert onestop.get("/backoffice/inbox/everything/").status_code == 404


def test_search_by_code_owner_name_and_id_number(pages, submitted):
    onestop = pages("onestop.demo")
    for q in (submitted.code, submitted.code[:20], "văn an", "001209012345"):
        assert submitted.code in onestop.get("/backoffice/search/", {"q": q}).content.decode(), q
    assert submitted.code not in onestop.get("/backoffice/search/", {"q": "Trần Thị Bình"}).content.decode()


# --- the workspace ------------------------------------------------------------------------------------------------

def test_the_workspace_shows_owner_form_components_steps_and_history(pages, submitted):
    html = pages("onestop.demo").get(workspace(submitted.code)).content.decode()
    assert 'data-testid="owner">Nguyễn Văn An' in html and "001209012345" in html
    assert "Số định danh cá nhân (CCCD)" in html and "Tốt nghiệp trung học phổ thông" in html  # schema labels
    for item in submitted.files.all():
        link = f"/api/v1/dossiers/{submitted.code}/files/{item.file_id}"
        assert f'href="{link}"' in html
    assert pages("onestop.demo").get(link).status_code == 200  # the officer opens the citizen's file
    assert 'data-testid="steps"' in html and 'data-testid="timeline"' in html
    # One form per allowed action, with the fields it needs.
    assert re.findall(r'data-testid="action-(\w+)"', html) == ["accept", "request_supplement", "refuse"]
    assert tag(html, "id_request_supplement-items")["tag"] == "textarea"
    assert tag(html, "id_refuse-reasons")["tag"] == "textarea"


def test_onestop_accepts_from_the_workspace_and_prints_the_receipt(pages, submitted):
    onestop = pages("onestop.demo")
    response = act(onestop, submitted.code, "accept", note="Hồ sơ đủ")
    assert response.status_code == 302 and response["Location"] == workspace(submitted.code)
    submitted.refresh_from_db()
    assert submitted.status == Status.ACCEPTED
    page = onestop.get(workspace(submitted.code)).content.decode()
    assert f'href="{workspace(submitted.code)}slips/receipt/"' in page
    slip = onestop.get(f"{workspace(submitted.code)}slips/receipt/")
    assert slip.status_code == 200
    html = slip.content.decode()
    # Due 1 working day after Monday 23/11/2026 09:00, with Tuesday 24/11 a holiday in the VN calendar.
    assert submitted.code in html and "09:00 25/11/2026" in html and "<svg" in html
    assert submitted.lookup_key in html and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in html
    assert "Ban Chỉ huy Quân sự phường Ngọc Hà" in html and "Lê Thị Hoa" in html  # unit and receiving officer
    assert pages("citizen.demo").get(f"/my/dossiers/{submitted.code}/slips/receipt/").status_code == 200


def test_the_journey_through_the_pages_ends_with_the_applicants_rating(pages, submitted, frozen_clock):
    code = submitted.code
    onestop, handler, leader, citizen = (pages(u) for u in ("onestop.demo", "handler.demo", "leader.demo",
                                                           "citizen.demo"))
    assert act(onestop, code, "accept").status_code == 302
    frozen_clock.advance(timedelta(hours=2))
    assert code in handler.get("/backoffice/inbox/mine/").content.decode()
    assert re.findall(r'data-testid="action-(\w+)"', handler.get(workspace(code)).content.decode())[0] == \
        "complete_step"
    assert act(handler, code, "complete_step", note="Hồ sơ hợp lệ").status_code == 302
    assert act(leader, code, "approve", note="Đồng ý").status_code == 302
    assert act(onestop, code, "return_result", method="online").status_code == 302
    dossier = Dossier.objects.get(code=code)
    assert (dossier.status, dossier.outcome, dossier.late) == (Status.RETURNED, "approved", False)
    assert list(dossier.events.values_list("action", flat=True)) == [
        "submit", "accept", "complete_step", "approve", "return_result"]
    page = citizen.get(f"/my/dossiers/{code}/").content.decode()
    assert 'data-testid="form-rate"' in page
    response = citizen.post(f"/my/dossiers/{code}/", {"action": "rate", "score": "4", "comment": "Nhanh, gọn",
                                                       "not_satisfied": ""})
    assert response.status_code == 302
    assert (dossier.rating.score, dossier.rating.comment, dossier.rating.not_satisfied) == (4, "Nhanh, gọn", False)
    assert 'data-testid="form-rate"' not in citizen.get(f"/my/dossiers/{code}/").content.decode()
    assert "4/5" in onestop.get(workspace(code)).content.decode()
    control = onestop.get(f"{workspace(code)}slips/control/").content.decode()
    steps = re.search(r'data-testid="control-steps">(.*?)</table>', control, re.S).group(1)
    rows = re.findall(r"<tr>(.*?)</tr>", steps, re.S)[1:]
    # Each step: who ended it (read from the history) and whether it kept its own deadline.
    assert [("Lê Thị Hoa" in r, "Phạm Văn Hùng" in r, "Hoàng Minh Đức" in r) for r in rows] == [
        (True, False, False), (False, True, False), (False, False, True), (True, False, False)]
    assert steps.count("On time") + steps.count("Đúng hạn") == 3  # reception has no deadline of its own


def test_an_action_not_allowed_answers_409_with_the_message(pages, submitted):
    handler = pages("handler.demo")
    response = act(handler, submitted.code, "approve")
    assert response.status_code == 409
    html = response.content.decode()
    assert 'data-testid="error-summary"' in html and "approve" not in re.findall(r'data-testid="action-(\w+)"', html)
    assert Dossier.objects.get().status == Status.NEW
    assert act(handler, submitted.code, "no_such_action").status_code == 409


def test_a_missing_field_answers_422_next_to_it(pages, submitted):
    response = act(pages("onestop.demo"), submitted.code, "request_supplement", items="  \n ", note="x")
    assert response.status_code == 422
    html = response.content.decode()
    assert 'href="#id_request_supplement-items"' in html and 'id="id_request_supplement-items-error"' in html
    assert re.search(r'<details [^>]*\bopen\b[^>]*data-testid="action-request_supplement"', html)
    assert not re.search(r'<details [^>]*\bopen\b[^>]*data-testid="action-accept"', html)
    assert Dossier.objects.get().status == Status.NEW


def test_supplement_request_refusal_and_apology_slips(pages, submitted):
    onestop = pages("onestop.demo")
    code = submitted.code
    assert act(onestop, code, "request_supplement", items="Bản sao văn bằng\nẢnh 4x6").status_code == 302
    slip = onestop.get(f"{workspace(code)}slips/supplement/").content.decode()
    assert "<li>Bản sao văn bằng</li>" in slip and "<li>Ảnh 4x6</li>" in slip and "<svg" in slip

    other = submit_as(pages("citizen.demo"), "token-other-0123456789")
    assert act(onestop, other.code, "refuse", reasons="Không thuộc thẩm quyền\nSai thủ tục").status_code == 302
    refusal = onestop.get(f"{workspace(other.code)}slips/refusal/").content.decode()
    assert "<li>Không thuộc thẩm quyền</li>" in refusal and "<li>Sai thủ tục</li>" in refusal

    third = submit_as(pages("citizen.demo"), "token-third-0123456789")
    act(onestop, third.code, "accept")
    handler = pages("handler.demo")
    assert act(handler, third.code, "apology", reason="Cần xác minh", new_due_at="2026-11-27").status_code == 302
    apology = handler.get(f"{workspace(third.code)}slips/apology/").content.decode()
    assert "09:00 25/11/2026" in apology and "17:00 27/11/2026" in apology and "Cần xác minh" in apology


def test_slips_answer_404_for_kinds_with_no_event(pages, submitted):
    onestop = pages("onestop.demo")
    for kind in ("receipt", "supplement", "refusal", "apology", "stop", "other"):
        assert onestop.get(f"{workspace(submitted.code)}slips/{kind}/").status_code == 404, kind
    assert onestop.get(f"{workspace(submitted.code)}slips/control/").status_code == 200
    assert onestop.get(f"{workspace('000.05.12.H26-261123-9999')}slips/control/").status_code == 404


def test_a_transfer_picks_the_unit_from_a_list(pages, submitted):
    onestop, handler = pages("onestop.demo"), pages("handler.demo")
    act(onestop, submitted.code, "accept")
    html = handler.get(workspace(submitted.code)).content.decode()
    assert tag(html, "id_transfer-unit")["tag"] == "select" and 'value="000.05.00.H26"' in html
    response = act(handler, submitted.code, "transfer", unit="000.05.00.H26", note="Chuyển quận")
    assert response.status_code == 302
    assert Dossier.objects.get().current_unit.agency_code == "000.05.00.H26"


# --- desk submission ----------------------------------------------------------------------------------------------

def test_onestop_registers_a_dossier_at_the_desk_for_citizen2(pages):
    onestop = pages("onestop.demo")
    page = onestop.get("/backoffice/desk/1.013133/").content.decode()
    assert "required" in tag(page, "id_owner-name") and "required" in tag(page, "id_owner-id_number")
    body = wizard_body("desk-token-0123456789", ho_ten="Trần Thị Bình", so_cccd="001198054321")
    body.update({"owner.name": "Trần Thị Bình", "owner.id_number": "001198054321", "owner.address": "40 Đội Cấn",
                 "owner.phone": "0987654321", "channel": "1", "unit": "000.05.12.H26"})
    response = onestop.post("/backoffice/desk/1.013133/", body)
    assert response.status_code == 302, response.content.decode()[:2000]
    dossier = Dossier.objects.get()
    assert response["Location"] == workspace(dossier.code)
    assert (dossier.channel, dossier.applicant.username, dossier.submitted_by.username) == (
        Channel.IN_PERSON, "citizen2.demo", "onestop.demo")
    assert {f.file.uploaded_by.username for f in dossier.files.select_related("file__uploaded_by")} == {"onestop.demo"}
    assert dossier.code in pages("citizen2.demo").get("/my/dossiers/").content.decode()
    assert pages("citizen2.demo").get(f"/my/dossiers/{dossier.code}/").status_code == 200
    # The officer may accept it right away: the same unit receives it.
    assert act(onestop, dossier.code, "accept").status_code == 302


def test_the_desk_form_names_the_missing_owner(pages):
    body = wizard_body("desk-token-0123456789")
    body.update({"owner.name": "", "owner.id_number": "", "channel": "3"})
    response = pages("onestop.demo").post("/backoffice/desk/1.013133/", body)
    assert response.status_code == 422
    html = response.content.decode()
    assert 'href="#id_owner-name"' in html and 'href="#id_owner-id_number"' in html
    assert Dossier.objects.count() == 0


def test_the_desk_picker_lists_the_procedures_the_officer_receives(pages):
    html = pages("onestop.demo").get("/backoffice/desk/").content.decode()
    assert 'href="/backoffice/desk/1.013133/"' in html and "/backoffice/desk/1.010531/" not in html
    assert pages("onestop.demo").get("/backoffice/desk/", {"procedure": "1.013133"})["Location"] == \
        "/backoffice/desk/1.013133/"


def test_staff_opening_an_applicant_page_are_sent_to_the_back_office(pages, submitted):
    onestop = pages("onestop.demo")
    assert onestop.get(f"/my/dossiers/{submitted.code}/")["Location"] == workspace(submitted.code)
    assert onestop.get("/my/dossiers/")["Location"] == "/backoffice/"
    assert actions.allowed_actions(submitted, User.objects.get(username="onestop.demo")) == [
        "accept", "request_supplement", "refuse"]
