"""The dead-letter page of the back office: system administrators see failed deliveries and replay them."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.test import Client

from motcua.identity.models import User
from motcua.integrations import outbox
from motcua.integrations.models import DeliveryStatus, OutboxDelivery

pytestmark = pytest.mark.django_db
CODE = "000.05.12.H26-261123-0001"


def login(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def dead(demo, frozen_clock):
    """Two failed deliveries of a consumer "portal" (one per event of a dossier)."""
    outbox.register("portal", ["test.dead"], lambda event: None, ordered=True)
    with transaction.atomic():
        events = [outbox.emit("test.dead", CODE, {}) for _ in range(2)]
    OutboxDelivery.objects.filter(consumer="portal").update(status=DeliveryStatus.FAILED, attempts=8,
                                                           last_error="Traceback\nRetryableHttpError: HTTP 503")
    yield [OutboxDelivery.objects.get(event=e, consumer="portal") for e in events]
    outbox.unregister("portal")


def test_operators_see_dead_letters_and_replay_them(dead):
    admin = login("admin.demo")
    assert 'data-testid="link-dead-letters"' in admin.get("/backoffice/").content.decode()
    page = admin.get("/backoffice/dead-letters/", {"consumer": "portal"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    html = page.content.decode()
    assert f'data-testid="dead-letter-{dead[0].pk}"' in html and "RetryableHttpError: HTTP 503" in html
    assert CODE in html and 'data-testid="replay-all"' in html
    answer = admin.post(f"/backoffice/dead-letters/{dead[0].pk}/replay/", {"consumer": "portal"})
    assert answer.status_code == 302 and answer["Location"].endswith("?consumer=portal")
    assert OutboxDelivery.objects.get(pk=dead[0].pk).status == DeliveryStatus.PENDING
    admin.post("/backoffice/dead-letters/replay/", {"consumer": "portal"})
    assert OutboxDelivery.objects.get(pk=dead[1].pk).status == DeliveryStatus.PENDING
    assert admin.post(f"/backoffice/dead-letters/{dead[0].pk}/replay/").status_code == 302  # no longer dead: a message


def test_other_staff_are_refused(dead):
    officer = login("onestop.demo")
    assert officer.get("/backoffice/dead-letters/").status_code == 403
    assert officer.post(f"/backoffice/dead-letters/{dead[0].pk}/replay/").status_code == 403
    assert OutboxDelivery.objects.get(pk=dead[0].pk).status == DeliveryStatus.FAILED
    assert 'link-dead-letters' not in officer.get("/backoffice/").content.decode()
