"""A visitor sends a petition without an account; the unit's officer classifies, answers and publishes it in the back
office; anyone reads the published answer, and the petitioner says they are satisfied."""

import pytest

from motcua.petitions.models import Petition, State

from .conftest import screenshot
from .test_dossier_journey_browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def do(page, base: str, code: str, action: str, **fields: str) -> None:
    page.goto(f"{base}/backoffice/petitions/{code}/")
    card = page.get_by_test_id(f"action-{action}")
    if card.get_attribute("open") is None:
        card.locator("summary").click()
    for name, value in fields.items():
        field = card.locator(f"[name={name}]")
        if name == "category":
            field.select_option(value)
        else:
            field.fill(value)
    card.get_by_test_id(f"do-{action}").click()
    page.wait_for_load_state()


def test_send_a_petition_and_read_its_published_answer(live_server, demo, page):
    base = live_server.url
    page.goto(base + "/petitions/")
    page.get_by_test_id("new-petition").click()
    page.fill("[name=title]", "Niêm yết giờ tiếp dân")
    page.fill("[name=content]", "Đề nghị niêm yết giờ tiếp dân tại trụ sở Ban Chỉ huy.")
    page.select_option("[name=unit]", "000.05.12.H26")
    page.fill("[name=name]", "Ngô Thị Lan")
    page.fill("[name=email]", "lan@example.vn")
    screenshot(page, "petition-1-form")
    page.get_by_test_id("send-petition").click()
    page.wait_for_load_state()
    code = page.get_by_test_id("code").inner_text().strip()
    key = page.get_by_test_id("key").inner_text().strip()
    petition = Petition.objects.get(code=code)
    assert petition.petitioner is None and petition.lookup_key == key and petition.state == State.RECEIVED

    assert petition.unit.agency_code == "000.05.12.H26"
    log_in(page, base, "handler.demo")
    do(page, base, code, "classify", category="regulation")
    do(page, base, code, "answer", answer="Ban đã niêm yết giờ tiếp dân từ ngày 24/11.")
    do(page, base, code, "publish")
    assert Petition.objects.get(code=code).state == State.PUBLISHED
    screenshot(page, "petition-2-backoffice")

    page.context.clear_cookies()
    page.goto(base + "/petitions/")
    page.get_by_test_id(f"published-{code}").get_by_role("link").click()
    page.wait_for_load_state()
    assert "Ban đã niêm yết giờ tiếp dân" in page.get_by_test_id("answer").inner_text()
    assert "Ngô Thị Lan" not in page.content()
    screenshot(page, "petition-3-published")

    page.goto(f"{base}/petitions/{code}/?key={key}")
    page.get_by_test_id("rate").locator("input[value=yes]").check()
    page.get_by_test_id("send-rating").click()
    page.wait_for_load_state()
    assert Petition.objects.get(code=code).satisfied is True
