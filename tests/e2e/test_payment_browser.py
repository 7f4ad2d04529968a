"""Paying a financial obligation through the sandbox gateway in a real browser: the dossier's "Pay fees" step, the
gateway's page, back to the dossier (status 2 again, payment history), the receipt."""

import pytest

from motcua.dossiers.models import Dossier, Status
from motcua.dossiers.tests.conftest import api, first_registration  # noqa: F401 - api: the fixture

from .conftest import screenshot
from .test_dossier_journey_browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_paying_through_the_sandbox_gateway(live_server, api, page, settings):  # noqa: F811 - the fixture
    citizen = api("citizen.demo")
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    onestop = api("onestop.demo")
    assert onestop.act(code, "accept").status_code == 200
    assert onestop.act(code, "request_payment", {"amount_vnd": 150000}).json()["status"] == Status.PAYMENT
    settings.MOTCUA_PUBLIC_URL = live_server.url
    base = live_server.url

    log_in(page, base, "citizen.demo")
    page.goto(f"{base}/my/dossiers/{code}/")
    assert "150.000 ₫" in page.get_by_test_id("amount-due").inner_text()
    page.get_by_test_id("pay-online").click()
    page.wait_for_load_state()
    assert "/sandbox/pay/" in page.url
    assert "150.000 ₫" in page.get_by_test_id("sandbox-amount").inner_text()
    screenshot(page, "payment-1-sandbox")
    page.get_by_test_id("sandbox-pay").click()
    page.wait_for_load_state()
    assert page.url.endswith(f"/my/dossiers/{code}/")
    assert page.get_by_test_id("payment-success").count() == 1
    assert page.get_by_test_id("form-pay").count() == 0
    screenshot(page, "payment-2-paid")
    assert Dossier.objects.get(code=code).status == Status.ACCEPTED
    page.get_by_test_id("payment-success").locator("a").first.click()
    page.wait_for_load_state()
    assert page.get_by_test_id("receipt-number").inner_text().startswith("BL")
    assert "150.000 ₫" in page.get_by_test_id("receipt-total").inner_text()
    screenshot(page, "payment-3-receipt")
