"""The whole journey in a real browser: a citizen submits with uploads, the one-stop officer accepts, the handler
completes the appraisal, the leader approves, the officer returns the result, the citizen sees status 10 and rates."""

import pytest

from motcua.dossiers.models import Dossier, Status

from .conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")


def log_in(page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(base + "/account/login/")
    page.fill("input[name=identifier]", username)
    page.fill("input[name=password]", "motcua-demo")
    page.locator("main form button[type=submit]").click()
    page.wait_for_load_state()
    assert "/account/login/" not in page.url, page.content()[:2000]


def fill_first_registration(page) -> None:
    """The e-form of 1.013133 on the submission page, filled for citizen.demo."""
    page.fill("[name='form.ho_ten']", "Nguyễn Văn An")
    page.fill("[name='form.ngay_sinh']", "2009-03-15")
    page.fill("[name='form.so_cccd']", "001209012345")
    page.fill("[name='form.noi_thuong_tru']", "12 Hoàng Hoa Thám, phường Ngọc Hà, Hà Nội")
    page.select_option("[name='form.trinh_do_hoc_van']", "thpt")
    page.fill("[name='form.nghe_nghiep']", "Học sinh")


def act(page, base: str, code: str, action: str) -> None:
    page.goto(f"{base}/backoffice/dossiers/{code}/")
    card = page.get_by_test_id(f"action-{action}")
    if card.get_attribute("open") is None:
        card.locator("summary").click()
    card.get_by_test_id(f"do-{action}").click()
    page.wait_for_load_state()


def test_citizen_to_status_10_through_every_role(live_server, demo, page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    files = {}
    for name in ("to-khai", "suc-khoe", "cccd"):
        files[name] = tmp_path / f"{name}.pdf"
        files[name].write_bytes(PDF)

    log_in(page, base, "citizen.demo")
    page.goto(base + "/procedures/1.013133/submit/")
    fill_first_registration(page)
    page.set_input_files("[name='comp.to_khai']", str(files["to-khai"]))
    page.set_input_files("[name='comp.phieu_tu_khai_suc_khoe']", str(files["suc-khoe"]))
    page.set_input_files("[name='comp.cccd']", str(files["cccd"]))
    screenshot(page, "journey-1-submit")
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    code = page.get_by_test_id("code").inner_text().strip()
    assert Dossier.objects.get(code=code).status == Status.NEW
    screenshot(page, "journey-2-submitted")

    log_in(page, base, "onestop.demo")
    act(page, base, code, "accept")
    screenshot(page, "journey-3-accepted")
    assert Dossier.objects.get(code=code).status == Status.ACCEPTED
    log_in(page, base, "handler.demo")
    act(page, base, code, "complete_step")
    assert Dossier.objects.get(code=code).status == Status.PROCESSING
    log_in(page, base, "leader.demo")
    act(page, base, code, "approve")
    assert Dossier.objects.get(code=code).status == Status.PROCESSED
    log_in(page, base, "onestop.demo")
    act(page, base, code, "return_result")
    assert Dossier.objects.get(code=code).status == Status.RETURNED

    log_in(page, base, "citizen.demo")
    page.goto(f"{base}/my/dossiers/{code}/")
    assert page.get_by_test_id("status").inner_text().strip() == str(Status.RETURNED.label)
    rate = page.get_by_test_id("form-rate")
    rate.locator("label[for=id_score-5]").click()
    rate.locator("textarea[name=comment]").fill("Nhanh, chu đáo")
    rate.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("rating").inner_text().startswith("5/5")
    screenshot(page, "journey-4-rated")
    assert Dossier.objects.get(code=code).rating.score == 5

    # The electronic result: downloaded from the dossier's page, then checked on the public verification page.
    results = page.get_by_test_id("results")
    assert f"{code}-KQ1" in results.inner_text()
    with page.expect_download() as download:
        results.get_by_test_id("result-download").click()
    signed = tmp_path / "ket-qua.pdf"
    download.value.save_as(signed)
    assert signed.read_bytes().startswith(b"%PDF")
    page.goto(base + "/verify/")
    page.get_by_test_id("verify-form").locator("input[type=file]").set_input_files(str(signed))
    page.get_by_test_id("verify-form").locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert page.get_by_test_id("verdict").get_attribute("data-verdict") == "valid"
    screenshot(page, "journey-5-verified")
    page.get_by_test_id("lang-en").click()
    page.wait_for_load_state()
    page.goto(f"{base}/verify/{code}-KQ1/")
    assert "The result is valid." in page.get_by_test_id("verify-report").inner_text()
