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


def test_webhook_subscriptions_in_the_admin_go_through_the_services(client, superuser):
    from motcua.integrations.models import WebhookSubscription

    client.force_login(superuser)
    form = {"name": "LGSP", "url": "https://lgsp.example.vn/hooks", "secret": "", "topics": '["dossier.updated"]',
            "units": "[]", "procedure_fields": "[]", "active": "on"}
    assert client.post("/admin/integrations/webhooksubscription/add/", form).status_code == 302
    hook = WebhookSubscription.objects.get()
    assert len(hook.secret) >= 32 and hook.topics == ["dossier.updated"]
    secret = hook.secret
    changed = client.post(f"/admin/integrations/webhooksubscription/{hook.pk}/change/", {**form, "name": "LGSP 2"})
    assert changed.status_code == 302
    hook.refresh_from_db()
    assert (hook.name, hook.secret) == ("LGSP 2", secret)  # an empty secret keeps the current one
    bad = client.post("/admin/integrations/webhooksubscription/add/",
                      {**form, "url": "ftp://files.example.vn/x", "topics": '["x"]'}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 200 and WebhookSubscription.objects.count() == 1
    assert "Not a topic webhooks can receive" in bad.content.decode()
    assert client.get("/admin/integrations/nationalsyncmessage/").status_code == 200
