import pytest

from .conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_search_without_diacritics_open_procedure_and_switch_to_english(live_server, catalog, page):
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "vi"
    screenshot(page, "home-vi")
    page.get_by_role("searchbox").first.fill("dang ky nghia vu quan su")
    page.get_by_role("button", name="Tìm kiếm").first.click()
    result = page.get_by_role("link", name="Đăng ký nghĩa vụ quân sự lần đầu")
    result.wait_for()
    screenshot(page, "search-vi")
    result.click()
    page.get_by_role("heading", level=1, name="Đăng ký nghĩa vụ quân sự lần đầu").wait_for()
    assert "1.013133" in page.content()
    assert page.get_by_role("heading", name="Thành phần hồ sơ").is_visible()
    screenshot(page, "procedure-vi")

    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_role("heading", name="Dossier components").is_visible()
    heading = page.get_by_role("heading", level=1).inner_text()
    assert heading != "Đăng ký nghĩa vụ quân sự lần đầu" and "military" in heading.lower()
    screenshot(page, "procedure-en")


def test_procedure_page_fits_a_phone(live_server, catalog, browser):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    page.goto(live_server.url + "/procedures/1.013133/")
    width = page.evaluate("document.documentElement.scrollWidth")
    screenshot(page, "procedure-phone")
    context.close()
    assert width <= 390
