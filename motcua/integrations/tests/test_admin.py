import pytest

from motcua.identity.models import User
from motcua.integrations import outbox
from motcua.integrations.models import DeliveryStatus, OutboxDelivery

from .conftest import emit_status_change


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser(username="quantri", email="qt@bqp.example.vn", password="x" * 12,
                                         kind="staff")


@pytest.fixture
def failed(applicant, flaky, dummy_tasks, settings):
    settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 1
    flaky.failures_left = 1
    event = emit_status_change(applicant)
    outbox.deliver_pending()
    delivery = OutboxDelivery.objects.get(event=event, consumer="flaky")
    assert delivery.status == DeliveryStatus.FAILED
    return delivery


def test_the_admin_shows_events_with_their_deliveries_read_only(client, superuser, failed):
    client.force_login(superuser)
    listing = client.get("/admin/integrations/outboxevent/")
    assert listing.status_code == 200 and "dossier.status_changed" in listing.content.decode()
    page = client.get(f"/admin/integrations/outboxevent/{failed.event_id}/change/", HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert "flaky" in html and "notifications" in html and "ConnectionError" in html
    assert 'name="_save"' not in html
    assert client.get("/admin/integrations/outboxevent/add/").status_code == 403
    assert client.get("/admin/integrations/outboxdelivery/?status=failed").status_code == 200
    assert client.get("/admin/integrations/notification/").status_code == 200


def test_the_retry_now_action(client, superuser, failed):
    client.force_login(superuser)
    response = client.post("/admin/integrations/outboxdelivery/",
                           {"action": "retry_now", "_selected_action": [failed.pk]}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (DeliveryStatus.PENDING, 0)
    assert outbox.deliver_pending() == 1
    failed.refresh_from_db()
    assert failed.status == DeliveryStatus.DELIVERED
