"""A citizen reuses a document of their warehouse in the portal wizard: it is offered with a checkbox instead of an
upload, the dossier is filed without uploading it again, and "My documents" logs the reuse."""

import pytest

from motcua.catalog.models import DocumentType
from motcua.documents import warehouse
from motcua.documents.models import WarehouseSource
from motcua.documents.services import store_generated
from motcua.dossiers.models import Dossier, DossierFile
from motcua.identity.models import User

from .conftest import screenshot
from .test_dossier_journey_browser import PDF, log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_a_warehouse_document_is_reused_through_the_wizard(live_server, demo, page, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    base = live_server.url
    citizen = User.objects.get(username="citizen.demo")
    certificate = warehouse.file_document(
        owner=citizen, owner_id_number=citizen.national_id, source=WarehouseSource.BULK,
        file=store_generated(citizen, PDF, "gcn-nvqs.pdf", "application/pdf"),
        title="Giấy chứng nhận đăng ký nghĩa vụ quân sự", number="GCN-2024-0159",
        document_type=DocumentType.objects.get(code="giay_chung_nhan_dang_ky_nvqs"), issuer="Ban CHQS phường Ngọc Hà")
    declaration = tmp_path / "tam-vang.pdf"
    declaration.write_bytes(PDF)

    log_in(page, base, "citizen.demo")
    page.get_by_test_id("nav-my-documents").click()
    page.wait_for_load_state()
    assert "GCN-2024-0159" in page.get_by_test_id("my-documents").inner_text()

    page.goto(base + "/procedures/1.001733/submit/")
    page.fill("[name='form.ho_ten']", "Nguyễn Văn An")
    page.fill("[name='form.so_cccd']", "001209012345")
    page.fill("[name='form.noi_den']", "Đà Nẵng")
    page.fill("[name='form.ly_do']", "Đi công tác")
    page.fill("[name='form.tu_ngay']", "2026-12-01")
    page.set_input_files("[name='comp.to_khai_tam_vang']", str(declaration))
    offer = page.get_by_test_id("reuse-giay_chung_nhan_nvqs")
    assert "GCN-2024-0159" in offer.inner_text()
    offer.locator(f"input[value='{certificate.pk}']").check()
    screenshot(page, "warehouse-1-reuse-offered")
    page.get_by_test_id("submit").click()
    page.wait_for_load_state()
    code = page.get_by_test_id("code").inner_text().strip()
    reused = DossierFile.objects.get(dossier=Dossier.objects.get(code=code), component_code="giay_chung_nhan_nvqs")
    assert reused.reused_from_id == certificate.pk and reused.file_id == certificate.file_id
    assert "gcn-nvqs.pdf" in page.content()
    screenshot(page, "warehouse-2-submitted")

    page.goto(base + "/my/documents/")
    log = page.get_by_test_id("access-log").inner_text()
    assert code in log
    screenshot(page, "warehouse-3-access-log")
