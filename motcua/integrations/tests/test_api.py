import pytest

from conftest import token_for
from motcua.identity.models import User
from motcua.integrations import outbox
from motcua.integrations.models import Notification

from .conftest import emit_status_change


@pytest.fixture
def notified(demo, dummy_tasks):
    """citizen.demo has three notifications (the newest unread ones first), citizen2.demo one."""
    citizen = User.objects.get(username="citizen.demo")
    other = User.objects.get(username="citizen2.demo")
    for number in range(1, 4):
        emit_status_change(citizen, f"H01-261123-000{number}")
    emit_status_change(other, "H01-261123-0099")
    outbox.deliver_pending()
    assert Notification.objects.count() == 4
    return citizen, other


def get(client, token, url, **headers):
    return client.get(url, HTTP_AUTHORIZATION=f"Bearer {token}", **headers)


def post(client, token, url):
    return client.post(url, HTTP_AUTHORIZATION=f"Bearer {token}")


def test_the_list_needs_a_token(client, db):
    response = client.get("/api/v1/notifications")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"


def test_the_caller_sees_only_their_notifications_newest_first(client, notified):
    citizen, other = notified
    token = token_for(client, "citizen.demo")
    response = get(client, token, "/api/v1/notifications")
    assert response.status_code == 200
    body = response.json()
    assert [item["key"] for item in body["items"]] == ["H01-261123-0003", "H01-261123-0002", "H01-261123-0001"]
    assert body["next"] is None
    item = body["items"][0]
    assert item["title"] == item["title_vi"] == "Hồ sơ H01-261123-0003: Đã tiếp nhận"
    assert item["title_en"] == "Dossier H01-261123-0003: Accepted"
    assert item["read_at"] is None and item["topic"] == "dossier.status_changed"
    english = get(client, token, "/api/v1/notifications", HTTP_ACCEPT_LANGUAGE="en").json()
    assert english["items"][0]["title"] == "Dossier H01-261123-0003: Accepted"
    assert english["items"][0]["body"].startswith("Procedure: ")

    other_token = token_for(client, "citizen2.demo")
    theirs = get(client, other_token, "/api/v1/notifications").json()
    assert [item["key"] for item in theirs["items"]] == ["H01-261123-0099"]


def test_keyset_pages_and_the_unread_filter(client, notified):
    token = token_for(client, "citizen.demo")
    first = get(client, token, "/api/v1/notifications?limit=2").json()
    assert [i["key"] for i in first["items"]] == ["H01-261123-0003", "H01-261123-0002"]
    assert first["next"]
    second = get(client, token, f"/api/v1/notifications?limit=2&cursor={first['next']}").json()
    assert [i["key"] for i in second["items"]] == ["H01-261123-0001"]
    assert second["next"] is None

    newest = first["items"][0]["id"]
    assert post(client, token, f"/api/v1/notifications/{newest}/read").status_code == 200
    unread = get(client, token, "/api/v1/notifications?unread=true").json()
    assert [i["key"] for i in unread["items"]] == ["H01-261123-0002", "H01-261123-0001"]
    read = get(client, token, "/api/v1/notifications?unread=false").json()
    assert [i["id"] for i in read["items"]] == [newest]


@pytest.mark.parametrize("query", ["cursor=abc", "cursor=-5", "cursor=0", "limit=0", "limit=101", "unread=maybe"])
def test_bad_parameters_get_422_naming_the_field(client, notified, query):
    token = token_for(client, "citizen.demo")
    response = get(client, token, f"/api/v1/notifications?{query}")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["error"] == "validation_failed"
    assert body["errors"][0]["field"] == query.split("=")[0]


def test_marking_read(client, notified, frozen_clock):
    citizen, _other = notified
    notification = Notification.objects.filter(user=citizen).order_by("id").first()
    token = token_for(client, "citizen.demo")
    response = post(client, token, f"/api/v1/notifications/{notification.pk}/read")
    assert response.status_code == 200
    assert response.json()["id"] == notification.pk
    notification.refresh_from_db()
    assert notification.read_at == frozen_clock.now()
    # Again: still read, at the first time.
    assert post(client, token, f"/api/v1/notifications/{notification.pk}/read").status_code == 200
    notification.refresh_from_db()
    assert notification.read_at == frozen_clock.now()


def test_nobody_marks_another_ones_notification(client, notified):
    citizen, _other = notified
    notification = Notification.objects.filter(user=citizen).first()
    other_token = token_for(client, "citizen2.demo")
    response = post(client, other_token, f"/api/v1/notifications/{notification.pk}/read")
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    notification.refresh_from_db()
    assert notification.read_at is None
    assert post(client, other_token, "/api/v1/notifications/999999999/read").status_code == 404
    assert post(client, other_token, "/api/v1/notifications/0/read").status_code == 422
    assert client.post(f"/api/v1/notifications/{notification.pk}/read").status_code == 401


def test_the_openapi_spec_declares_the_errors(client, db):
    spec = client.get("/api/v1/openapi.json").json()
    listing = spec["paths"]["/api/v1/notifications"]["get"]["responses"]
    assert {"200", "401", "422"} <= set(listing)
    reading = spec["paths"]["/api/v1/notifications/{id}/read"]["post"]["responses"]
    assert {"200", "401", "404", "422"} <= set(reading)
