"""The spine over the HTTP API: submit, receive, process, decide, return, rate; and what is refused on the way."""

import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from motcua.dossiers.models import Dossier, Event
from motcua.integrations.models import OutboxEvent

from .conftest import first_registration, ship_declaration

pytestmark = pytest.mark.django_db
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")


def test_citizen_submits_and_officers_walk_it_to_returned(api, frozen_clock):
    citizen, onestop, handler, leader = (api(u) for u in ("citizen.demo", "onestop.demo", "handler.demo",
                                                          "leader.demo"))
    response = citizen.post("/api/v1/dossiers", first_registration(citizen))
    assert response.status_code == 201, response.content
    body = response.json()
    assert re.fullmatch(r"000\.05\.12\.H26-261123-\d{4}", body["code"])
    assert body["status"] == 1 and body["lookup_key"] and body["receiving_unit"] == "000.05.12.H26"
    assert body["allowed_actions"] == ["withdraw"]
    code = body["code"]

    accepted = onestop.act(code, "accept").json()
    assert accepted["status"] == 2
    # 1 working day from Monday 23/11/2026 09:00; 24/11 is a public holiday in the VN calendar: due 25/11 09:00.
    assert datetime.fromisoformat(accepted["due_at"]).astimezone(HANOI) == datetime(2026, 11, 25, 9, 0, tzinfo=HANOI)
    assert accepted["current_step"] == "appraise"

    frozen_clock.advance(timedelta(hours=2))
    assert handler.act(code, "complete_step", {"note": "Hồ sơ hợp lệ"}).json()["status"] == 4
    approved = leader.act(code, "approve", {"note": "Đồng ý"}).json()
    assert (approved["status"], approved["outcome"], approved["late"]) == (9, "approved", False)
    returned = onestop.act(code, "return_result", {"method": "online"}).json()
    assert returned["status"] == 10 and returned["allowed_actions"] == []

    mine = citizen.get(f"/api/v1/dossiers/{code}").json()
    assert [e["action"] for e in mine["history"]] == ["submit", "accept", "complete_step", "approve",
                                                      "return_result"]
    assert [(e["from_status"], e["to_status"]) for e in mine["history"]] == [
        (None, 1), (1, 2), (2, 4), (4, 9), (9, 10)]
    rating = citizen.post(f"/api/v1/dossiers/{code}/rating", {"score": 5, "comment": "Nhanh"})
    assert rating.status_code == 201
    again = citizen.post(f"/api/v1/dossiers/{code}/rating", {"score": 1})
    assert again.status_code == 409
    topics = list(OutboxEvent.objects.filter(key=code).values_list("topic", flat=True))
    assert topics.count("dossier.status_changed") == 5 and "dossier.rated" in topics


def test_forbidden_actions_get_409_with_the_allowed_ones(api, submitted):
    code = submitted["code"]
    citizen, handler, leader = api("citizen.demo"), api("handler.demo"), api("leader.demo")
    response = citizen.act(code, "accept")
    assert response.status_code == 409
    assert response.json()["allowed_actions"] == ["withdraw"]
    assert handler.act(code, "approve").status_code == 409
    api("onestop.demo").act(code, "accept")
    refused = leader.act(code, "approve")
    assert refused.status_code == 409 and refused.json()["allowed_actions"] == ["transfer", "stop", "apology"]
    assert handler.act(code, "no_such_action").status_code == 409
    assert Dossier.objects.get(code=code).status == 2


def test_nobody_else_sees_a_dossier(api, submitted):
    code = submitted["code"]
    assert api("citizen2.demo").get(f"/api/v1/dossiers/{code}").status_code == 404
    assert api("citizen2.demo").act(code, "withdraw").status_code == 404
    assert api("shipagent.demo").get(f"/api/v1/dossiers/{code}").status_code == 404
    assert code not in [d["code"] for d in api("citizen2.demo").get("/api/v1/dossiers").json()["items"]]
    assert code in [d["code"] for d in api("citizen.demo").get("/api/v1/dossiers").json()["items"]]
    assert code in [d["code"] for d in api("onestop.demo").get("/api/v1/dossiers",
                                                                 role_inbox="new").json()["items"]]


def test_bad_form_and_missing_components_name_every_field(api):
    citizen = api("citizen.demo")
    body = first_registration(citizen)
    body["form"]["so_cccd"] = "12345"
    del body["form"]["ho_ten"]
    body["components"] = body["components"][:1]
    response = citizen.post("/api/v1/dossiers", body)
    assert response.status_code == 422
    problems = {(e["field"], e["rule"]) for e in response.json()["errors"]}
    assert {("form.so_cccd", "pattern"), ("form.ho_ten", "required"),
            ("components.phieu_tu_khai_suc_khoe", "required"), ("components.cccd", "required")} <= problems
    assert Dossier.objects.count() == 0 and Event.objects.count() == 0


def test_files_must_be_the_submitters_own(api):
    citizen, other = api("citizen.demo"), api("citizen2.demo")
    body = first_registration(citizen)
    body["components"][0]["files"] = [other.upload()]
    response = citizen.post("/api/v1/dossiers", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "components[0].files[0]"


def test_idempotency_key_never_creates_a_second_dossier(api):
    citizen = api("citizen.demo")
    body = first_registration(citizen)
    first = citizen.post("/api/v1/dossiers", body, **{"Idempotency-Key": "k-123"})
    second = citizen.post("/api/v1/dossiers", body, **{"Idempotency-Key": "k-123"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["code"] == second.json()["code"]
    assert Dossier.objects.count() == 1
    changed = dict(body, form={**body["form"], "nghe_nghiep": "Sinh viên"})
    assert citizen.post("/api/v1/dossiers", changed, **{"Idempotency-Key": "k-123"}).status_code == 409


def test_supplement_pauses_the_clock_and_a_second_request_is_flagged(api, frozen_clock):
    citizen, onestop, handler = api("citizen.demo"), api("onestop.demo"), api("handler.demo")
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    due = datetime.fromisoformat(onestop.act(code, "accept").json()["due_at"])
    asked = handler.act(code, "request_supplement", {"items": ["Bản sao văn bằng"]})
    assert asked.json()["status"] == 5
    frozen_clock.advance(timedelta(hours=3))  # Monday 09:00 -> 12:00: 2.5 working hours waiting
    supplemented = citizen.act(code, "supplement", {
        "components": [{"code": "van_bang", "files": [citizen.upload("van-bang.pdf")]}], "note": "Đã bổ sung"})
    assert supplemented.status_code == 200, supplemented.content
    body = supplemented.json()
    assert body["status"] == 2
    assert datetime.fromisoformat(body["due_at"]) - due == timedelta(hours=2, minutes=30)
    assert {f["revision"] for c in body["components"] for f in c["files"]} == {1, 2}
    handler.act(code, "request_supplement", {"items": ["Ảnh 4x6"]})
    events = Event.objects.filter(dossier__code=code, action="request_supplement").order_by("seq")
    assert [e.data["repeat"] for e in events] == [False, True]


def test_request_supplement_needs_the_list_of_items(api, submitted):
    response = api("onestop.demo").act(submitted["code"], "request_supplement", {"items": []})
    assert response.status_code == 422 and response.json()["errors"][0]["field"] == "items"


def test_refusal_and_withdrawal_end_processing(api):
    citizen, onestop = api("citizen.demo"), api("onestop.demo")
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    refused = onestop.act(code, "refuse", {"reasons": ["Không thuộc thẩm quyền"]}).json()
    assert (refused["status"], refused["outcome"]) == (3, "refused")
    other = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    withdrawn = citizen.act(other, "withdraw", {"reason": "Nộp nhầm"}).json()
    assert withdrawn["status"] == 7 and withdrawn["allowed_actions"] == []


def test_delegated_deputy_approves_only_in_the_delegation_dates(api, frozen_clock):
    from datetime import date

    from motcua.organization.models import Unit
    from motcua.organization.services import delegate_approval

    citizen, onestop, handler = api("citizen.demo"), api("onestop.demo"), api("handler.demo")
    leader = api("leader.demo")
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    onestop.act(code, "accept")
    handler.act(code, "complete_step")
    assert handler.act(code, "approve").status_code == 409
    delegate_approval(delegator=leader.user, delegate=handler.user, unit=Unit.objects.get(agency_code="000.05.12.H26"),
                      starts_on=date(2026, 11, 23), ends_on=date(2026, 11, 23))
    assert handler.act(code, "approve").json()["status"] == 9


def test_transfer_keeps_the_clock_and_moves_the_dossier(api):
    citizen, onestop, handler = api("citizen.demo"), api("onestop.demo"), api("handler.demo")
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    due = onestop.act(code, "accept").json()["due_at"]
    moved = handler.act(code, "transfer", {"unit": "000.05.00.H26", "note": "Chuyển quận"}).json()
    assert moved["current_unit"] == "000.05.00.H26" and moved["due_at"] == due
    assert handler.act(code, "complete_step").status_code == 409  # no longer in the handler's unit
    assert handler.act(code, "transfer", {"unit": "9.9"}).status_code == 409


def test_payment_request_pauses_until_paid(api):
    citizen, onestop = api("citizen.demo"), api("onestop.demo")
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    onestop.act(code, "accept")
    assert onestop.act(code, "request_payment", {"amount_vnd": 0}).status_code == 422
    assert onestop.act(code, "request_payment", {"amount_vnd": 50000}).json()["status"] == 6
    assert citizen.act(code, "pay", {"transaction_id": "VNPAY-1"}).status_code == 409  # online: through the gateway
    paid = onestop.act(code, "pay", {"transaction_id": "BL-TAI-QUAY-1"}).json()  # paid at the desk
    assert paid["status"] == 2


def test_apology_sets_a_new_date_once_and_only_before_the_due_date(api, frozen_clock):
    citizen, onestop, handler = api("citizen.demo"), api("onestop.demo"), api("handler.demo")
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    onestop.act(code, "accept")
    assert handler.act(code, "apology", {"reason": "Cần xác minh", "new_due_at": "2026-11-20"}).status_code == 422
    ok = handler.act(code, "apology", {"reason": "Cần xác minh thêm", "new_due_at": "2026-11-27"})
    assert ok.status_code == 200 and ok.json()["due_at"].startswith("2026-11-27")
    again = handler.act(code, "apology", {"reason": "Lần hai", "new_due_at": "2026-11-30"})
    assert again.status_code == 422 and again.json()["errors"][0]["rule"] == "limit"


def test_late_decision_is_marked_late(api, frozen_clock):
    citizen, onestop, handler, leader = (api(u) for u in ("citizen.demo", "onestop.demo", "handler.demo",
                                                          "leader.demo"))
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    onestop.act(code, "accept")
    handler.act(code, "complete_step")
    frozen_clock.advance(timedelta(days=7))
    assert code in [d["code"] for d in leader.get("/api/v1/dossiers", role_inbox="overdue").json()["items"]]
    assert leader.act(code, "approve").json()["late"] is True


def test_officer_submits_at_the_desk_for_an_applicant(api):
    onestop = api("onestop.demo")
    body = first_registration(onestop, channel=1, owner={"name": "Trần Thị Bình", "id_number": "001198054321",
                                                          "address": "40 Đội Cấn"})
    response = onestop.post("/api/v1/dossiers", body)
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    # The owner has an account: the dossier is hers to follow.
    assert api("citizen2.demo").get(f"/api/v1/dossiers/{code}").status_code == 200


def test_history_is_append_only(api, submitted):
    from motcua.core.errors import Conflict

    event = Event.objects.get(dossier__code=submitted["code"], seq=1)
    event.note = "changed"
    with pytest.raises(Conflict):
        event.save()
    with pytest.raises(Conflict):
        event.delete()


def test_public_tracking_shows_no_personal_data_and_needs_the_key(api, client, submitted, settings):
    code, key = submitted["code"], submitted["lookup_key"]
    body = client.get(f"/api/v1/track/{code}", {"key": key}).json()
    assert body["status"] == 1 and body["code"] == code
    text = str(body)
    assert "Nguyễn Văn An" not in text and "001209012345" not in text
    assert client.get(f"/api/v1/track/{code}", {"key": "WRONGKEY"}).status_code == 404
    settings.MOTCUA_TRACK_RATE = (3, 60)
    statuses = [client.get(f"/api/v1/track/{code}", {"key": key}).status_code for _ in range(5)]
    assert 429 in statuses


def test_automatic_border_procedure_is_settled_in_seconds(api):
    agent = api("shipagent.demo")
    response = agent.post("/api/v1/dossiers", ship_declaration(agent))
    assert response.status_code == 201, response.content
    dossier = response.json()
    assert (dossier["status"], dossier["outcome"], dossier["late"]) == (10, "approved", False)
    assert [e["role"] for e in dossier["history"]] == ["applicant", "system", "system", "system"]


def test_officers_and_the_applicant_download_the_dossiers_files_others_do_not(api, submitted):
    code = submitted["code"]
    file_id = submitted["components"][0]["files"][0]["id"]
    path = f"/api/v1/dossiers/{code}/files/{file_id}"
    for username in ("citizen.demo", "onestop.demo", "handler.demo"):
        response = api(username).get(path)
        assert response.status_code == 200, username
        assert b"".join(response.streaming_content).startswith(b"%PDF")
        assert response["X-Content-Type-Options"] == "nosniff"
    assert api("citizen2.demo").get(path).status_code == 404
    other = api("citizen2.demo").upload()
    assert api("citizen.demo").get(f"/api/v1/dossiers/{code}/files/{other}").status_code == 404
