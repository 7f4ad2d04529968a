"""Petitions: deadlines in working days, each stage on time or late, who may see and act, public answers, the
petitioner's satisfaction, and the counts the index reads (index-766.md 5.1-5.3)."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.utils import timezone

from motcua.dossiers.tests.conftest import Api, first_registration
from motcua.identity.models import AccountKind, User
from motcua.integrations import outbox
from motcua.integrations.models import Notification, OutboxEvent
from motcua.organization.models import RoleAssignment, Unit
from motcua.petitions import queries, services
from motcua.petitions.models import Petition, PetitionEvent, State

pytestmark = pytest.mark.django_db

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
COMMUNE = "000.05.12.H26"


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=HANOI)


def anonymous(client: Client, **body: str):
    payload = {"title": "Thái độ tiếp dân", "content": "Cán bộ tiếp nhận chậm.", "unit": COMMUNE,
               "name": "Ngô Thị Lan", "email": "lan@example.vn", **body}
    return client.post("/api/v1/petitions", payload, content_type="application/json")


def officer(username: str = "handler.demo") -> User:
    return User.objects.get(username=username)


def new_petition(**extra: str) -> Petition:
    return services.submit(None, services.NewPetition(
        **{"title": "Phản ánh", "content": "Nội dung", "unit": COMMUNE, "name": "Ẩn danh", "phone": "0900000000",
           **extra}))


def classified(**extra: str) -> Petition:
    petition = new_petition(**extra)
    return services.act(officer(), petition, "classify", {"category": "regulation"})


# --- deadlines ----------------------------------------------------------------------------------------------------

def test_deadlines_count_working_days_across_the_weekend_and_the_holidays(demo, frozen_clock, client):
    # Wednesday 29/04/2026 09:00: 30/4 and 1/5 are holidays, then the weekend.
    frozen_clock.set(at(2026, 4, 29, 9, 0))
    response = anonymous(client)
    assert response.status_code == 201, response.content
    body = response.json()
    assert datetime.fromisoformat(body["refuse_due_at"]) == at(2026, 5, 5, 9, 0)  # Wed, Mon, Tue
    assert datetime.fromisoformat(body["info_due_at"]) == at(2026, 5, 8, 9, 0)  # Wed + 5 working days
    assert datetime.fromisoformat(body["answer_due_at"]) == at(2026, 5, 22, 9, 0)  # Wed + 15 working days


def test_the_deadlines_are_settings(demo, frozen_clock, settings):
    settings.MOTCUA_PETITION_ANSWER_DAYS = 1
    petition = new_petition()
    assert petition.answer_due_at == at(2026, 11, 25, 9, 0)  # Monday 09:00 + 1 working day (24/11: Culture Day)


def test_refusal_on_time_and_late(demo, frozen_clock):
    early, late = new_petition(), new_petition()
    frozen_clock.set(at(2026, 11, 26, 8, 59))  # Monday 09:00 + 2 working days = Thursday 09:00 (24/11 is a holiday)
    early = services.act(officer(), early, "refuse", {"reason": "Không thuộc thẩm quyền"})
    frozen_clock.set(at(2026, 11, 26, 9, 1))
    late = services.act(officer(), late, "refuse", {"reason": "Trùng lặp"})
    assert (early.state, early.refused_on_time) == (State.REFUSED, True)
    assert (late.state, late.refused_on_time) == (State.REFUSED, False)
    assert late.late and not early.late


def test_information_request_on_time_and_late_measures_only_the_first(demo, frozen_clock):
    first, second = classified(), classified()
    frozen_clock.set(at(2026, 12, 1, 9, 0))  # Monday + 5 working days: exactly on the deadline
    first = services.act(officer(), first, "request_info", {"request": "Số hồ sơ?"})
    frozen_clock.set(at(2026, 12, 1, 9, 1))
    second = services.act(officer(), second, "request_info", {"request": "Địa chỉ?"})
    assert (first.info_on_time, second.info_on_time) == (True, False)
    first = services.provide_info(first, None, "000.05.12.H26-261123-0001", key=first.lookup_key)
    assert first.state == State.HANDLING
    frozen_clock.set(at(2026, 12, 7, 9, 0))
    again = services.act(officer(), first, "request_info", {"request": "Thêm nữa"})
    assert again.info_requested_at == at(2026, 12, 1, 9, 0) and again.info_on_time is True


def test_answer_and_publication_on_time_and_late(demo, frozen_clock):
    quick, slow = classified(), classified()
    frozen_clock.set(at(2026, 12, 15, 9, 0))  # 15 working days after Monday 23/11 09:00
    quick = services.act(officer(), quick, "answer", {"answer": "Đã chấn chỉnh."})
    assert quick.answered_on_time is True and quick.publish_due_at == at(2026, 12, 17, 9, 0)
    frozen_clock.set(at(2026, 12, 17, 9, 0))
    quick = services.act(officer("leader.demo"), quick, "publish", {})
    assert (quick.state, quick.published_on_time) == (State.PUBLISHED, True)
    frozen_clock.set(at(2026, 12, 15, 9, 1))
    slow = services.act(officer(), slow, "answer", {"answer": "Trả lời muộn."})
    frozen_clock.set(at(2026, 12, 17, 9, 2))  # the answer at 09:01 + 2 working days, and a minute
    slow = services.act(officer(), slow, "publish", {})
    assert (slow.answered_on_time, slow.published_on_time) == (False, False)


def test_a_transfer_to_another_unit_restarts_the_clock(demo, frozen_clock):
    petition = new_petition()
    frozen_clock.set(at(2026, 11, 25, 9, 0))
    petition = services.act(officer(), petition, "assign", {"unit": "000.00.01.H26"})
    assert petition.unit.agency_code == "000.00.01.H26" and petition.transfers == 1
    assert petition.clock_start_at == at(2026, 11, 25, 9, 0)
    assert petition.refuse_due_at == at(2026, 11, 27, 9, 0)


def test_every_change_appends_history_and_an_outbox_event(demo, frozen_clock):
    petition = classified()
    services.act(officer(), petition, "answer", {"answer": "Trả lời"})
    assert list(PetitionEvent.objects.filter(petition=petition).values_list("action", flat=True)) == [
        "submit", "classify", "answer"]
    events = OutboxEvent.objects.filter(topic="petition.changed", key=petition.code)
    assert [e.payload["action"] for e in events.order_by("id")] == ["submit", "classify", "answer"]


def test_bad_input_names_the_field_and_writes_nothing(demo, frozen_clock):
    petition = classified()
    with pytest.raises(services.ValidationFailed) as failed:
        services.act(officer(), petition, "answer", {"answer": "  "})
    assert [(e.field, e.rule) for e in failed.value.errors] == [("answer", "required")]
    petition.refresh_from_db()
    assert petition.state == State.HANDLING and petition.events.count() == 2
    with pytest.raises(services.Conflict) as conflict:
        services.act(officer(), petition, "publish", {})
    assert conflict.value.extra["allowed_actions"] == ["classify", "assign", "refuse", "request_info",
                                                        "answer"]


# --- submission ---------------------------------------------------------------------------------------------------

def test_anonymous_submission_needs_a_name_and_a_contact(demo, frozen_clock, client):
    missing = anonymous(client, name="", email="")
    assert missing.status_code == 422
    assert {(e["field"], e["rule"]) for e in missing.json()["errors"]} == {
        ("name", "required"), ("email", "contact_required")}
    ok = anonymous(client, email="", phone="0912000111")
    assert ok.status_code == 201
    body = ok.json()
    assert body["petitioner_name"] == "Ngô Thị Lan" and body["lookup_key"] and body["state"] == "received"
    assert Petition.objects.get(code=body["code"]).petitioner is None
    # The key reads it; without it, nobody outside the unit does.
    assert client.get(f"/api/v1/petitions/{body['code']}", {"key": body["lookup_key"]}).status_code == 200
    assert client.get(f"/api/v1/petitions/{body['code']}").status_code == 404


def test_logged_in_submission_takes_the_account_and_is_about_a_dossier(demo, frozen_clock, client, settings,
                                                                        tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    citizen = Api(client, "citizen.demo")
    dossier = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    response = citizen.post("/api/v1/petitions", {"title": "Hồ sơ chậm", "content": "Chưa có kết quả",
                                                  "kind": "complaint", "dossier": dossier, "name": "Ignored"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["petitioner_name"] == "Nguyễn Văn An" and body["dossier"] == dossier
    assert body["unit"] == COMMUNE and body["procedure"] == "1.013133"
    assert [p["code"] for p in citizen.get("/api/v1/petitions").json()["items"]] == [body["code"]]
    petition = Petition.objects.get(code=body["code"])
    assert queries.dossiers_with_petitions([petition.dossier_id]) == {petition.dossier_id}


def test_anonymous_submissions_are_rate_limited_per_address(demo, frozen_clock, client, settings):
    settings.MOTCUA_PETITION_RATE = (2, 3600)
    assert [anonymous(client).status_code for _ in range(3)] == [201, 201, 429]
    assert Petition.objects.count() == 2
    page = Client().post("/petitions/new/", {"title": "T", "content": "C", "kind": "feedback", "name": "A",
                                             "email": "a@b.vn"})
    assert page.status_code == 429 and Petition.objects.count() == 2
    citizen = Api(client, "citizen.demo")  # accounts are not limited this way
    assert citizen.post("/api/v1/petitions", {"title": "T", "content": "C"}).status_code == 201


def test_a_bad_token_is_refused_not_taken_as_anonymous(demo, client):
    response = client.post("/api/v1/petitions", {"title": "a", "content": "b", "name": "c", "email": "c@d.vn"},
                           content_type="application/json", headers={"authorization": "Bearer nope"})
    assert response.status_code == 401 and not Petition.objects.exists()


# --- who sees and who acts ----------------------------------------------------------------------------------------

def test_a_citizen_cannot_see_anothers_unpublished_petition(demo, frozen_clock, client):
    first = Api(client, "citizen.demo")
    code = first.post("/api/v1/petitions", {"title": "Riêng", "content": "Nội dung riêng"}).json()["code"]
    other = Api(client, "citizen2.demo")
    assert other.get(f"/api/v1/petitions/{code}").status_code == 404
    assert code not in str(other.get("/api/v1/petitions").json())
    other_page = Client()
    other_page.force_login(other.user)
    assert other_page.get(f"/petitions/{code}/").status_code == 404
    assert Client().get(f"/petitions/{code}/").status_code == 404
    assert first.get(f"/api/v1/petitions/{code}").json()["content"] == "Nội dung riêng"


def test_an_officer_of_another_unit_cannot_act(demo, frozen_clock, client):
    stranger = User.objects.create_user("handler.langson", password="motcua-demo", kind=AccountKind.STAFF)
    RoleAssignment.objects.create(user=stranger, unit=Unit.objects.get(agency_code="000.00.01.H39"), role="handler",
                                  created_at=timezone.now())
    code = anonymous(client).json()["code"]
    api = Api(client, "handler.langson")
    response = api.post(f"/api/v1/petitions/{code}/actions/classify", {"category": "staff"})
    assert response.status_code in (403, 404)
    petition = Petition.objects.get(code=code)
    with pytest.raises(services.PermissionDenied):
        services.act(stranger, petition, "classify", {"category": "staff"})
    petition.refresh_from_db()
    assert petition.state == State.RECEIVED and petition.category == ""
    # The unit's own officer may.
    ok = Api(client, "handler.demo").post(f"/api/v1/petitions/{code}/actions/classify", {"category": "staff"})
    assert ok.status_code == 200 and ok.json()["category"] == "staff"


def test_published_answers_are_public_without_personal_data(demo, frozen_clock, client):
    code = anonymous(client, title="Giờ làm việc").json()["code"]
    handler = Api(client, "handler.demo")
    handler.post(f"/api/v1/petitions/{code}/actions/classify", {"category": "regulation", "officer": "handler.demo"})
    handler.post(f"/api/v1/petitions/{code}/actions/answer", {"answer": "Ban làm việc cả sáng thứ Bảy."})
    assert Client().get(f"/petitions/{code}/").status_code == 404  # answered, not yet published
    assert handler.post(f"/api/v1/petitions/{code}/actions/publish").status_code == 200
    public = Client().get(f"/api/v1/petitions/{code}").json()
    assert public["answer"] == "Ban làm việc cả sáng thứ Bảy." and public["petitioner_name"] == ""
    assert public["petitioner_email"] == "" and public["lookup_key"] == "" and public["history"] == []
    listing = Client().get("/api/v1/petitions/published").json()["items"]
    assert [p["code"] for p in listing] == [code]
    page = Client().get("/petitions/").content.decode()
    assert code in page and "Giờ làm việc" in page
    detail = Client().get(f"/petitions/{code}/").content.decode()
    assert "Ban làm việc cả sáng thứ Bảy." in detail and "lan@example.vn" not in detail and "Ngô Thị Lan" not in detail


# --- satisfaction and notifications -------------------------------------------------------------------------------

def test_the_petitioner_rates_the_answer_once(demo, frozen_clock, client):
    citizen = Api(client, "citizen.demo")
    code = citizen.post("/api/v1/petitions", {"title": "Hỏi", "content": "Câu hỏi", "unit": COMMUNE}).json()["code"]
    assert citizen.post(f"/api/v1/petitions/{code}/satisfaction", {"satisfied": True}).status_code == 409
    handler = Api(client, "handler.demo")
    handler.post(f"/api/v1/petitions/{code}/actions/classify", {"category": "regulation"})
    handler.post(f"/api/v1/petitions/{code}/actions/answer", {"answer": "Trả lời"})
    other = Api(client, "citizen2.demo")
    assert other.post(f"/api/v1/petitions/{code}/satisfaction", {"satisfied": False}).status_code == 404
    rated = citizen.post(f"/api/v1/petitions/{code}/satisfaction", {"satisfied": False})
    assert rated.status_code == 200 and rated.json()["satisfied"] is False
    again = citizen.post(f"/api/v1/petitions/{code}/satisfaction", {"satisfied": True})
    assert again.status_code == 409 and again.json()["errors"][0]["rule"] == "once"
    outbox.deliver_pending()
    titles = list(Notification.objects.filter(user=citizen.user).values_list("title_vi", flat=True))
    assert titles == [f"Phản ánh, kiến nghị {code} đã được trả lời"]


def test_the_petitioner_gets_an_email_with_the_link_to_the_answer(demo, frozen_clock, client, mailoutbox):
    body = anonymous(client).json()
    petition = Petition.objects.get(code=body["code"])
    services.act(officer(), petition, "classify", {"category": "staff"})
    services.act(officer(), petition, "answer", {"answer": "Đã xử lý."})
    outbox.deliver_pending()
    assert [m.to for m in mailoutbox] == [["lan@example.vn"]]
    assert f"/petitions/{petition.code}/?key={petition.lookup_key}" in mailoutbox[0].body
    assert "đã được trả lời" in mailoutbox[0].subject and "was answered" in mailoutbox[0].subject


def test_an_anonymous_petitioner_answers_and_rates_on_the_page(demo, frozen_clock, client):
    body = anonymous(client).json()
    code, key = body["code"], body["lookup_key"]
    petition = classified_code = Petition.objects.get(code=code)
    services.act(officer(), classified_code, "classify", {"category": "staff"})
    services.act(officer(), petition, "request_info", {"request": "Tên cán bộ?"})
    page = Client()
    html = page.get(f"/petitions/{code}/", {"key": key}).content.decode()
    assert "Tên cán bộ?" in html and 'data-testid="provide-info"' in html
    assert page.post(f"/petitions/{code}/", {"action": "provide_info", "key": key,
                                             "information": "Cán bộ trực buổi sáng"}).status_code == 302
    services.act(officer(), petition, "answer", {"answer": "Đã nhắc nhở cán bộ."})
    assert page.post(f"/petitions/{code}/", {"action": "rate", "key": key, "satisfied": "yes"}).status_code == 302
    petition.refresh_from_db()
    assert petition.satisfied is True and petition.state == State.ANSWERED


def test_the_submission_page_works_anonymously_and_logged_in(demo, frozen_clock):
    visitor = Client()
    form = visitor.get("/petitions/new/?procedure=1.013133").content.decode()
    assert 'name="name"' in form and 'value="1.013133"' in form
    bad = visitor.post("/petitions/new/", {"title": "T", "content": "", "kind": "feedback", "name": "A",
                                           "email": "a@b.vn"})
    assert bad.status_code == 422 and not Petition.objects.exists()
    sent = visitor.post("/petitions/new/", {"title": "T", "content": "C", "kind": "feedback", "name": "A",
                                            "email": "a@b.vn", "procedure": "1.013133"})
    petition = Petition.objects.get()
    assert sent.status_code == 302 and sent["Location"].endswith(f"?key={petition.lookup_key}")
    citizen = Client()
    citizen.force_login(User.objects.get(username="citizen.demo"))
    assert 'name="name"' not in citizen.get("/petitions/new/").content.decode()
    citizen.post("/petitions/new/", {"title": "Của tôi", "content": "C", "kind": "complaint"})
    assert Petition.objects.get(title="Của tôi").petitioner.username == "citizen.demo"


# --- the back office ----------------------------------------------------------------------------------------------

def test_officer_inbox_and_workspace(demo, frozen_clock):
    petition = new_petition(title="Mới")
    onestop = Client()
    onestop.force_login(officer("onestop.demo"))
    assert petition.code in onestop.get("/backoffice/petitions/inbox/new/").content.decode()
    assert onestop.get("/backoffice/petitions/inbox/all/").status_code == 404
    bad = onestop.post(f"/backoffice/petitions/{petition.code}/", {"action": "classify", "category": "nope"})
    assert bad.status_code == 422
    done = onestop.post(f"/backoffice/petitions/{petition.code}/", {"action": "classify", "category": "staff",
                                                                     "officer": "onestop.demo"})
    assert done.status_code == 302
    assert petition.code in onestop.get("/backoffice/petitions/inbox/mine/").content.decode()
    frozen_clock.set(at(2026, 12, 15, 9, 1))
    assert petition.code in onestop.get("/backoffice/petitions/inbox/overdue/").content.decode()
    citizen = Client()
    citizen.force_login(User.objects.get(username="citizen.demo"))
    assert citizen.get(f"/backoffice/petitions/{petition.code}/").status_code == 403


# --- counts for the index -----------------------------------------------------------------------------------------

def index_history(frozen_clock) -> dict[str, Petition]:
    """Five petitions of the commune from 23/11/2026, the clock left at Wednesday 16/12 10:00 (also read by the
    index's drill-down tests)."""
    on_time_answer = classified()  # answered on time, published on time, satisfied
    late_answer = classified()  # answered late
    refused_late = new_petition()  # refused after 2 working days
    open_ok = classified()  # still open, within time at the cut-off
    staff = services.act(officer(), new_petition(), "classify", {"category": "staff"})  # open, rated never
    frozen_clock.set(at(2026, 11, 26, 9, 30))
    services.act(officer(), refused_late, "refuse", {"reason": "Ngoài thẩm quyền"})
    services.act(officer(), on_time_answer, "answer", {"answer": "A"})
    on_time_answer = services.act(officer(), on_time_answer, "publish", {})
    services.rate(on_time_answer, None, True, key=on_time_answer.lookup_key)
    frozen_clock.set(at(2026, 12, 16, 9, 0))
    late_answer = services.act(officer(), late_answer, "answer", {"answer": "B"})
    services.rate(late_answer, None, True, key=late_answer.lookup_key)
    frozen_clock.set(at(2026, 12, 16, 10, 0))
    return {"on_time_answer": on_time_answer, "late_answer": late_answer, "refused_late": refused_late,
            "open_ok": open_ok, "staff": staff}


def test_index_counts_follow_the_spec_rules(demo, frozen_clock):
    commune = Unit.objects.get(agency_code=COMMUNE)
    ministry = Unit.objects.get(agency_code="000.00.00.G11")
    history = index_history(frozen_clock)
    on_time_answer, open_ok, staff = history["on_time_answer"], history["open_ok"], history["staff"]
    # Period: November and December 2026 (running: cut-off now, Wednesday 16/12 10:00).
    start, end = date(2026, 11, 1), date(2026, 12, 31)
    categories = queries.category_counts(ministry, start, end)
    assert (categories.regulation, categories.staff, categories.unclassified, categories.total) == (3, 1, 1, 5)
    ratio = queries.on_time_counts(commune, start, end)
    # on time: on_time_answer; late: late_answer, refused_late; open and past 15 WD at the cut-off: open_ok, staff.
    assert (ratio.numerator, ratio.denominator) == (1, 5)
    assert ratio.numerator_codes == [on_time_answer.code]
    frozen_clock.set(at(2026, 12, 10, 9, 0))
    within = queries.on_time_counts(commune, start, date(2026, 12, 10))
    assert open_ok.code in within.numerator_codes and staff.code in within.numerator_codes
    frozen_clock.set(at(2026, 12, 16, 10, 0))
    satisfaction = queries.satisfaction_counts(commune, start, end)
    # T: the four received (classified); refused_late was never received. U: late_answer (late, though satisfied),
    # open_ok and staff (open past the deadline).
    assert (satisfaction.received, satisfaction.unsatisfactory, satisfaction.numerator) == (4, 3, 1)
    assert (satisfaction.rated, satisfaction.satisfied) == (2, 2)
    # Another unit's subtree holds none of them.
    assert queries.category_counts(Unit.objects.get(agency_code="000.00.01.H39"), start, end).total == 0
    # A past period ignores what happened after it.
    assert queries.on_time_counts(commune, date(2026, 10, 1), date(2026, 10, 31)).denominator == 0


def test_a_late_publication_makes_an_on_time_answer_late_for_the_index(demo, frozen_clock):
    petition = classified()
    services.act(officer(), petition, "answer", {"answer": "A"})
    commune = Unit.objects.get(agency_code=COMMUNE)
    assert queries.on_time_counts(commune, date(2026, 11, 1), date(2026, 11, 30)).numerator == 1
    frozen_clock.set(at(2026, 11, 27, 9, 0))  # publication due Thursday 26/11 09:00, still unpublished
    assert queries.on_time_counts(commune, date(2026, 11, 1), date(2026, 11, 30)).numerator == 0
    frozen_clock.advance(timedelta(hours=1))
    services.act(officer(), petition, "publish", {})
    assert queries.on_time_counts(commune, date(2026, 11, 1), date(2026, 11, 30)).numerator == 0


def test_the_openapi_spec_documents_petitions_and_reports(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    expected = {
        ("/api/v1/petitions", "post"): {"201", "401", "400", "422", "429"},
        ("/api/v1/petitions", "get"): {"200", "401", "422"},
        ("/api/v1/petitions/published", "get"): {"200", "422"},
        ("/api/v1/petitions/{code}", "get"): {"200", "401", "404"},
        ("/api/v1/petitions/{code}/actions/{action}", "post"): {"200", "401", "403", "404", "409", "422"},
        ("/api/v1/petitions/{code}/satisfaction", "post"): {"200", "401", "404", "409", "422"},
        ("/api/v1/reports/bottlenecks", "get"): {"200", "401", "403", "422"},
        ("/api/v1/reports/at-risk", "get"): {"200", "401", "403", "422"},
    }
    for (path, method), statuses in expected.items():
        assert statuses <= set(paths[path][method]["responses"]), (path, method)
