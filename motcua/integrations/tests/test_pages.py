import pytest

from motcua.identity.models import User
from motcua.integrations import outbox
from motcua.integrations.models import Notification

from .conftest import emit_status_change

pytestmark = pytest.mark.urls("motcua.integrations.tests.urls")

URL = "/account/notifications/"


@pytest.fixture
def citizen(demo, dummy_tasks):
    citizen = User.objects.get(username="citizen.demo")
    other = User.objects.get(username="citizen2.demo")
    emit_status_change(citizen, "H01-261123-0001")
    emit_status_change(citizen, "H01-261123-0002", status=3, status_label={"vi": "Từ chối", "en": "Refused"},
                       note="Thiếu giấy khai sinh")
    emit_status_change(other, "H01-261123-0099")
    outbox.deliver_pending()
    return citizen


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/account/login/")


def test_the_page_lists_the_accounts_own_notifications(client, citizen):
    client.force_login(citizen)
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Hồ sơ H01-261123-0002: Từ chối" in html and "Thiếu giấy khai sinh" in html
    assert "Hồ sơ H01-261123-0001: Đã tiếp nhận" in html
    assert html.index("H01-261123-0002") < html.index("H01-261123-0001")
    assert "H01-261123-0099" not in html
    assert "Đánh dấu đã đọc" in html and "Bạn có 2 thông báo chưa đọc." in html  # the app's own catalog
    english = client.get(URL, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Dossier H01-261123-0002: Refused" in english
    assert "Mark as read" in english and "Notifications" in english


def test_mark_one_read_then_all(client, citizen):
    client.force_login(citizen)
    first, second = Notification.objects.filter(user=citizen).order_by("id")
    response = client.post(f"/account/notifications/{first.pk}/read/", {"next": URL + "?unread=1"})
    assert response.status_code == 302 and response["Location"] == URL + "?unread=1"
    first.refresh_from_db()
    assert first.read_at is not None
    unread_page = client.get(URL + "?unread=1").content.decode()
    assert "H01-261123-0002" in unread_page and "H01-261123-0001" not in unread_page
    assert client.get(f"/account/notifications/{first.pk}/read/").status_code == 405
    # An address elsewhere is not followed.
    response = client.post("/account/notifications/read-all/", {"next": "https://evil.example/"})
    assert response.status_code == 302 and response["Location"] == URL
    second.refresh_from_db()
    assert second.read_at is not None


def test_nobody_marks_another_accounts_notification(client, citizen):
    other = User.objects.get(username="citizen2.demo")
    client.force_login(other)
    mine = Notification.objects.filter(user=citizen).first()
    assert client.post(f"/account/notifications/{mine.pk}/read/").status_code == 404
    assert client.post(f"/account/notifications/{10**30}/read/").status_code == 404
    mine.refresh_from_db()
    assert mine.read_at is None
