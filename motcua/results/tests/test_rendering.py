"""Results and slips as PDF/A-3b: content in Vietnamese with diacritics, embedded fonts, metadata, the blank seal box of
page 1; slip PDFs over the portal, the back office and the API, for whoever may see the dossier and nobody else.

The PDFs are read back with poppler (pdftotext, pdffonts, pdfinfo, pdftoppm), as a reader or a validator would."""

from __future__ import annotations

import re
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import zxingcpp
from django.test import Client
from PIL import Image

from motcua.dossiers import slips
from motcua.dossiers.models import Dossier
from motcua.dossiers.tests.conftest import Api, first_registration
from motcua.results import rendering, seal
from motcua.results.rendering import SEAL_BOX, ResultContent

pytestmark = pytest.mark.django_db
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
ABSENCE_FORM = {
    "ho_ten": "Nguyễn Văn An", "so_cccd": "001209012345", "so_gcn_nvqs": "NVQS-2026-0042",
    "noi_den": "Phường Hải Châu, thành phố Đà Nẵng", "ly_do": "Đi làm việc theo hợp đồng lao động",
    "tu_ngay": "2026-12-01", "den_ngay": "2027-06-30",
}


# --- reading PDFs back --------------------------------------------------------------------------------------------

class Pdf:
    """A PDF on disk, read with poppler's tools."""

    def __init__(self, content: bytes, folder: Path, name: str = "doc") -> None:
        assert content.startswith(b"%PDF-"), content[:40]
        self.path = folder / f"{name}.pdf"
        self.path.write_bytes(content)
        self.folder = folder

    def run(self, *args: str) -> str:
        return subprocess.run([*args], check=True, capture_output=True, text=True).stdout

    def text(self, *options: str) -> str:
        """The text in layout order (a table row on one line), whitespace collapsed; lines wrap where the PDF's do."""
        return " ".join(self.run("pdftotext", "-layout", *options, str(self.path), "-").split())

    def info(self) -> dict[str, str]:
        rows = self.run("pdfinfo", str(self.path)).splitlines()
        return {key.strip(): value.strip() for key, _, value in (row.partition(":") for row in rows)}

    def metadata(self) -> str:
        return self.run("pdfinfo", "-meta", str(self.path))

    def fonts(self) -> list[list[str]]:
        """pdffonts rows as (name, ..., emb, sub, uni, ...) columns, split from the right (names have no spaces)."""
        return [row.split() for row in self.run("pdffonts", str(self.path)).splitlines()[2:]]

    def seal_box_text(self) -> str:
        """The text pdftotext finds inside SEAL_BOX on page 1 (its -x/-y count from the top, in points at 72 dpi)."""
        x0, y0, x1, y1 = SEAL_BOX
        height = rendering.PAGE_SIZE[1]
        return self.run("pdftotext", "-f", "1", "-l", "1", "-r", "72", "-x", str(int(x0)), "-y", str(int(height - y1)),
                        "-W", str(int(x1 - x0) + 1), "-H", str(int(y1 - y0) + 1), str(self.path), "-").strip()

    def seal_box_pixels(self) -> tuple[int, int]:
        """(darkest grey level, pixel count) of SEAL_BOX on page 1 rasterised at 144 dpi: 255 means nothing drawn."""
        x0, y0, x1, y1 = SEAL_BOX
        scale = 2  # 144 dpi: 2 pixels a point
        height = rendering.PAGE_SIZE[1]
        stem = self.folder / "seal"
        self.run("pdftoppm", "-f", "1", "-l", "1", "-r", "144", "-gray", "-x", str(round(x0 * scale)),
                 "-y", str(round((height - y1) * scale)), "-W", str(round((x1 - x0) * scale)),
                 "-H", str(round((y1 - y0) * scale)), str(self.path), str(stem))
        image = Image.open(next(self.folder.glob("seal*.pgm")))
        low, _high = image.getextrema()
        pixels = image.size[0] * image.size[1]
        image.close()
        for made in self.folder.glob("seal*.pgm"):
            made.unlink()
        return low, pixels


def assert_pdfa(pdf: Pdf) -> None:
    """All fonts embedded (a PDF/A rule), and the PDF/A-3b identification in the XMP metadata."""
    fonts = pdf.fonts()
    assert fonts, "no font"
    for row in fonts:
        emb = row[-5]  # ... emb sub uni object-id generation
        assert emb == "yes", row
    meta = pdf.metadata()
    assert 'pdfaid:part="3"' in meta and 'pdfaid:conformance="B"' in meta, meta
    assert re.search(r"<dc:creator[^>]*><rdf:Seq><rdf:li>motcua</rdf:li>", meta), meta
    assert pdf.info()["PDF version"] == "1.7" and pdf.info()["Page size"].endswith("(A4)")


def assert_seal_box_blank(pdf: Pdf) -> None:
    assert pdf.seal_box_text() == ""
    low, pixels = pdf.seal_box_pixels()
    assert pixels > 40_000 and low == 255, (low, pixels)
    assert "Mã QR xác thực Verification QR" in pdf.text("-f", "1", "-l", "1")


def assert_sealed(pdf: Pdf, code: str, kind: str) -> None:
    """The seal box holds a QR seal (read by an independent decoder) whose signed claims name this slip and whose
    hash covers the rendered slip, an exact prefix of the file."""
    pdf.run("pdftoppm", "-f", "1", "-l", "1", "-r", "150", "-png", "-singlefile", str(pdf.path),
            str(pdf.folder / "page"))
    with Image.open(pdf.folder / "page.png") as image:
        (found,) = zxingcpp.read_barcodes(image)
    claims = seal.read_token(found.text)
    assert (claims["t"], claims["c"], claims["k"], claims["h"]) == ("s", code, kind, "Nguyễn Văn An")
    assert seal.content_matches(pdf.path.read_bytes(), claims)
    assert "Mã QR xác thực Verification QR" in pdf.text("-f", "1", "-l", "1")


# --- dossiers walked over the API ---------------------------------------------------------------------------------

def walk_to_decision(api: Any, clock: Any, body: dict[str, Any] | None = None, *, deny: str = "") -> str:
    """citizen.demo's dossier (1.013133 unless `body` says otherwise), accepted, appraised and approved (or denied
    with the reason `deny`) by the demo officers; its code."""
    citizen, onestop, handler, leader = (api(u) for u in ("citizen.demo", "onestop.demo", "handler.demo",
                                                          "leader.demo"))
    response = citizen.post("/api/v1/dossiers", body or first_registration(citizen))
    assert response.status_code == 201, response.content
    code = response.json()["code"]
    assert onestop.act(code, "accept").status_code == 200
    clock.advance(timedelta(hours=2))
    assert handler.act(code, "complete_step", {"note": "Hồ sơ hợp lệ"}).status_code == 200
    decided = leader.act(code, "deny", {"reason": deny}) if deny else leader.act(code, "approve", {"note": "Đồng ý"})
    assert decided.status_code == 200, decided.content
    return code


@pytest.fixture
def every_slip(api: Any, frozen_clock: Any) -> dict[str, str]:
    """kind -> the code of a dossier of citizen.demo that has that slip, between three dossiers: accepted, apologised
    and denied; asked to supplement then withdrawn; refused."""
    citizen, onestop, handler, leader = (api(u) for u in ("citizen.demo", "onestop.demo", "handler.demo",
                                                          "leader.demo"))
    codes = [citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"] for _ in range(3)]
    decided, withdrawn, refused = codes
    assert onestop.act(decided, "accept").status_code == 200
    apology = onestop.act(decided, "apology", {"reason": "Cần xác minh thêm thông tin cư trú",
                                               "new_due_at": "2026-11-27"})
    assert apology.status_code == 200, apology.content
    frozen_clock.advance(timedelta(hours=2))
    assert handler.act(decided, "complete_step", {"note": "Đã xác minh"}).status_code == 200
    assert leader.act(decided, "deny", {"reason": "Công dân đã đăng ký nghĩa vụ quân sự tại địa phương khác"}
                      ).status_code == 200
    assert onestop.act(withdrawn, "request_supplement", {"items": ["Ảnh chân dung 4x6"]}).status_code == 200
    assert citizen.act(withdrawn, "withdraw", {"reason": "Nộp nhầm thủ tục"}).status_code == 200
    assert onestop.act(refused, "refuse", {"reasons": ["Không thuộc thẩm quyền"]}).status_code == 200
    found = {"receipt": decided, "apology": decided, "denial": decided, "control": decided,
             "supplement": withdrawn, "stop": withdrawn, "refusal": refused}
    assert set(found) == set(slips.KINDS)
    return found


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password="motcua-demo")
    return client


# --- electronic results -------------------------------------------------------------------------------------------

def test_the_first_registration_certificate(api, frozen_clock, tmp_path):
    code = walk_to_decision(api, frozen_clock)
    dossier = Dossier.objects.get(code=code)
    content = rendering.result_content_for(dossier, f"{code}-KQ1", signer_title="Chỉ huy trưởng")
    assert (content.issuing_unit_code, content.place, content.signer_name) == ("000.05.12.H26", "Hà Nội",
                                                                               "Hoàng Minh Đức")
    assert rendering.result_templates("1.013133")[0] == "results/documents/1.013133.html"
    pdf = Pdf(rendering.render_result_pdf(content), tmp_path)
    text = pdf.text()
    for expected in (
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BAN CHỈ HUY QUÂN SỰ PHƯỜNG",
        f"Số: {code}-KQ1", "Hà Nội, ngày 23 tháng 11 năm 2026", "GIẤY CHỨNG NHẬN ĐĂNG KÝ NGHĨA VỤ QUÂN SỰ",
        "Họ và tên: NGUYỄN VĂN AN", "Ngày, tháng, năm sinh: 15/03/2009", "Số định danh cá nhân: 001209012345",
        "Trình độ học vấn: Tốt nghiệp trung học phổ thông", "Nghề nghiệp: Học sinh",
        "Căn cứ Luật Nghĩa vụ quân sự", "78/2015/QH13", "Giấy chứng nhận có giá trị kể từ ngày ký.",
        "CHỈ HUY TRƯỞNG", "Hoàng Minh Đức", f"Số đăng ký: {code}-KQ1",
    ):
        assert expected in text, expected
    info = pdf.info()
    assert info["Pages"] == "1"
    assert info["Title"] == f"Giấy chứng nhận đăng ký nghĩa vụ quân sự số {code}-KQ1"
    assert info["Author"] == "motcua" and code in info["Subject"] and "1.013133" in info["Keywords"]
    assert_pdfa(pdf)
    assert_seal_box_blank(pdf)


def test_a_generic_result_lists_the_form_with_its_labels(api, frozen_clock, tmp_path):
    citizen = api("citizen.demo")
    body = {"procedure": "1.001733", "form": ABSENCE_FORM, "components": [
        {"code": "to_khai_tam_vang", "files": [citizen.upload("to-khai.pdf")]},
        {"code": "giay_chung_nhan_nvqs", "files": [citizen.upload("gcn.pdf")]},
    ]}
    code = walk_to_decision(api, frozen_clock, body)
    content = rendering.result_content_for(Dossier.objects.get(code=code), f"{code}-KQ1",
                                           valid_until=date(2027, 6, 30))
    content.form["ghi_chu_noi_bo"] = "Không có"  # an answer the schema does not know: labelled by its key
    assert rendering.result_templates("1.001733")[-1] == "results/documents/generic.html"
    pdf = Pdf(rendering.render_result_pdf(content), tmp_path)
    text = pdf.text()
    for expected in (
        "THÔNG TIN TẠM VẮNG ĐƯỢC GHI VÀO SỔ ĐĂNG KÝ", f"Số: {code}-KQ1", "Hà Nội, ngày 23 tháng 11 năm 2026",
        "Tổ chức, cá nhân: Nguyễn Văn An", "Họ và tên: Nguyễn Văn An",
        "Nơi đến trong thời gian tạm", "Phường Hải Châu, thành phố Đà Nẵng",
        "Lý do tạm vắng: Đi làm việc theo hợp đồng lao động", "Tạm vắng từ ngày: 01/12/2026",
        "Dự kiến trở về ngày: 30/06/2027", "ghi_chu_noi_bo: Không có",
        "Có giá trị đến hết ngày 30 tháng 6 năm 2027.", "THỦ TRƯỞNG ĐƠN VỊ", "Hoàng Minh Đức",
    ):
        assert expected in text, expected
    assert_pdfa(pdf)
    assert_seal_box_blank(pdf)


def test_a_result_without_a_dossier_and_schema_falls_back_to_keys(db, tmp_path):
    content = ResultContent(
        result_code="000.00.01.H26-260105-0001-KQ1", dossier_code="000.00.01.H26-260105-0001",
        procedure_code="../../etc/passwd", procedure_name="Thủ tục thử", result_title="Văn bản chấp thuận",
        holder_name="Công ty TNHH Hải Đăng", holder_id_number="0101234567", holder_address="", form={"so_tau": 3},
        issuing_unit_name="Cục Cứu hộ - Cứu nạn", issuing_unit_code="000.00.01.H26",
        issued_at=datetime(2026, 1, 5, 8, 30, tzinfo=HANOI), valid_until=None, signer_name="",
        signer_title="Cục trưởng", legal_basis=[], place="",
    )
    assert rendering.result_templates(content.procedure_code) == ["results/documents/generic.html"]
    text = Pdf(rendering.render_result_pdf(content), tmp_path).text()
    assert "so_tau: 3" in text and "ngày 05 tháng 01 năm 2026" in text and "Công ty TNHH Hải Đăng" in text


def test_dates_in_the_vietnamese_administrative_style():
    assert rendering.vn_date(date(2026, 2, 5)) == "ngày 05 tháng 02 năm 2026"
    assert rendering.vn_date(date(2026, 3, 15)) == "ngày 15 tháng 3 năm 2026"
    assert rendering.vn_date(date(2026, 11, 3)) == "ngày 03 tháng 11 năm 2026"
    # Instants are dated in Hanoi: 18:00 UTC on New Year's Eve is already 1 January there.
    assert rendering.vn_date(datetime(2026, 12, 31, 18, 0, tzinfo=ZoneInfo("UTC"))) == "ngày 01 tháng 01 năm 2027"


def test_html_to_pdf_sets_the_metadata_and_fetches_nothing(tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(b"not an image")
    html = f'<p>Xin chào, thế giới</p><img src="file://{secret}"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
    pdf = Pdf(rendering.html_to_pdf(html, title="Tiêu đề thử", subject="Chủ đề", keywords=["a", "", "b"],
                                    created=datetime(2026, 11, 23, 9, 0, tzinfo=HANOI)), tmp_path)
    info = pdf.info()
    assert (info["Title"], info["Subject"], info["Keywords"], info["Author"]) == ("Tiêu đề thử", "Chủ đề", "a, b",
                                                                                  "motcua")
    assert info["CreationDate"].startswith("Mon Nov 23") and "Xin chào, thế giới" in pdf.text()
    assert_pdfa(pdf)
    assert_seal_box_blank(pdf)


def test_page_one_content_never_flows_into_the_seal_box(tmp_path):
    crowded = "<p>" + "Nội dung dài của văn bản, " * 1500 + "</p>"
    without = Pdf(rendering.html_to_pdf(crowded, title="t", seal=False), tmp_path, "without")
    assert without.seal_box_text() != "" and without.seal_box_pixels()[0] < 128  # the check sees ink
    assert "Verification QR" not in without.text()
    sealed = Pdf(rendering.html_to_pdf(crowded, title="t"), tmp_path, "sealed")
    assert int(sealed.info()["Pages"]) > 1
    assert_seal_box_blank(sealed)


# --- slips --------------------------------------------------------------------------------------------------------

def test_every_slip_as_pdf_over_the_portal_the_back_office_and_the_api(api, every_slip, tmp_path):
    citizen_web, officer_web = logged_in("citizen.demo"), logged_in("onestop.demo")
    citizen_api = api("citizen.demo")
    for kind, code in every_slip.items():
        answers = {
            "portal": citizen_web.get(f"/my/dossiers/{code}/slips/{kind}.pdf"),
            "backoffice": officer_web.get(f"/backoffice/dossiers/{code}/slips/{kind}.pdf"),
            "api": citizen_api.get(f"/api/v1/dossiers/{code}/slips/{kind}.pdf"),
        }
        for where, response in answers.items():
            assert response.status_code == 200, (kind, where, response.content[:300])
            assert response["Content-Type"] == "application/pdf"
            assert response["Content-Disposition"] == f'inline; filename="{code}-{kind}.pdf"'
            assert "no-store" in response["Cache-Control"]
            pdf = Pdf(response.content, tmp_path, f"{kind}-{where}")
            text = pdf.text()
            assert code in text and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in text and "Nguyễn Văn An" in text, text
        assert_pdfa(pdf)
        assert_sealed(pdf, code, kind)


def test_slip_pdfs_say_what_the_html_pages_say(api, every_slip, tmp_path):
    officer = logged_in("onestop.demo")
    receipt = Pdf(officer.get(f"/backoffice/dossiers/{every_slip['receipt']}/slips/receipt.pdf").content, tmp_path)
    text = receipt.text()
    # Due 1 working day after Monday 23/11/2026 09:00 (24/11 a holiday in the VN calendar); the receiving officer.
    assert "09:00 25/11/2026" in text and "Lê Thị Hoa" in text and "Tờ khai đăng ký nghĩa vụ quân sự lần đầu" in text
    assert receipt.info()["Pages"] == "1"
    refusal = Pdf(officer.get(f"/backoffice/dossiers/{every_slip['refusal']}/slips/refusal.pdf").content, tmp_path,
                  "refusal").text()
    assert "Không thuộc thẩm quyền" in refusal
    apology = Pdf(officer.get(f"/backoffice/dossiers/{every_slip['apology']}/slips/apology.pdf").content, tmp_path,
                  "apology").text()
    assert "Cần xác minh thêm thông tin cư trú" in apology and "17:00 27/11/2026" in apology
    english = api("citizen.demo").client.get(
        f"/api/v1/dossiers/{every_slip['supplement']}/slips/supplement.pdf",
        headers={**api("citizen.demo").headers(), "Accept-Language": "en"})
    text = Pdf(english.content, tmp_path, "english").text()
    assert "Ảnh chân dung 4x6" in text and "REQUEST TO SUPPLEMENT AND COMPLETE THE DOSSIER" in text


def test_the_denial_slip_exists_after_deny(api, frozen_clock, tmp_path):
    reason = "Công dân chưa đủ tuổi đăng ký theo quy định"
    code = walk_to_decision(api, frozen_clock, deny=reason)
    dossier = Dossier.objects.get(code=code)
    assert ("denial", str(slips.KINDS["denial"][1])) in slips.available(dossier)
    page = logged_in("citizen.demo").get(f"/my/dossiers/{code}/slips/denial/").content.decode()
    assert 'data-testid="slip-denial"' in page and reason in page and "Hoàng Minh Đức" in page
    assert 'href="../denial.pdf"' in page and "<svg" in page
    response = logged_in("citizen.demo").get(f"/my/dossiers/{code}/slips/denial.pdf")
    text = Pdf(response.content, tmp_path).text()
    assert reason in text and "Hoàng Minh Đức" in text
    approved = walk_to_decision(api, frozen_clock)
    assert "denial" not in dict(slips.available(Dossier.objects.get(code=approved)))
    assert logged_in("citizen.demo").get(f"/my/dossiers/{approved}/slips/denial.pdf").status_code == 404


def test_the_slip_pages_link_to_their_pdf(api, every_slip):
    code = every_slip["receipt"]
    for client, page in ((logged_in("citizen.demo"), f"/my/dossiers/{code}/slips/receipt/"),
                         (logged_in("onestop.demo"), f"/backoffice/dossiers/{code}/slips/receipt/")):
        html = client.get(page).content.decode()
        assert 'data-testid="slip-pdf"' in html and 'href="../receipt.pdf"' in html
        assert client.get(page.removesuffix("receipt/") + "receipt.pdf")["Content-Type"] == "application/pdf"


def test_nobody_else_gets_a_slip_pdf(api, every_slip):
    code = every_slip["receipt"]
    other_web, other_api = logged_in("citizen2.demo"), api("citizen2.demo")
    assert other_web.get(f"/my/dossiers/{code}/slips/receipt.pdf").status_code == 404
    missing = other_api.get(f"/api/v1/dossiers/{code}/slips/receipt.pdf")
    assert missing.status_code == 404 and missing.json()["errors"][0]["field"] == "code"
    assert api("shipagent.demo").get(f"/api/v1/dossiers/{code}/slips/control.pdf").status_code == 404
    # Applicants are refused the back office; visitors go to the login page; the API wants a token.
    assert logged_in("citizen.demo").get(f"/backoffice/dossiers/{code}/slips/receipt.pdf").status_code == 403
    assert Client().get(f"/my/dossiers/{code}/slips/receipt.pdf")["Location"].startswith("/account/login/")
    assert Client().get(f"/backoffice/dossiers/{code}/slips/receipt.pdf")["Location"].startswith("/account/login/")
    assert Client().get(f"/api/v1/dossiers/{code}/slips/receipt.pdf").status_code == 401
    # Officers on the applicant's address are sent to their own.
    moved = logged_in("onestop.demo").get(f"/my/dossiers/{code}/slips/receipt.pdf")
    assert moved.status_code == 302 and moved["Location"] == f"/backoffice/dossiers/{code}/slips/receipt.pdf"


def test_unknown_kinds_and_slips_not_issued_answer_404(api, every_slip):
    refused = every_slip["refusal"]
    citizen, officer, citizen_api = logged_in("citizen.demo"), logged_in("onestop.demo"), api("citizen.demo")
    for kind in ("nonsense", "receipt", "denial"):  # unknown; and kinds this (refused) dossier was never issued
        assert citizen.get(f"/my/dossiers/{refused}/slips/{kind}.pdf").status_code == 404, kind
        assert officer.get(f"/backoffice/dossiers/{refused}/slips/{kind}.pdf").status_code == 404, kind
        assert citizen_api.get(f"/api/v1/dossiers/{refused}/slips/{kind}.pdf").status_code == 404, kind
    unknown = citizen_api.get(f"/api/v1/dossiers/{refused}/slips/nonsense.pdf").json()
    assert unknown["errors"][0]["field"] == "kind"
    assert rendering.slip_pdf_for(Api(Client(), "citizen.demo").user, "NO-SUCH-CODE", "control", "vi") is None


def test_the_api_documents_the_slip_pdf(client):
    spec = client.get("/api/v1/openapi.json").json()
    operation = spec["paths"]["/api/v1/dossiers/{code}/slips/{kind}.pdf"]["get"]
    assert set(operation["responses"]) >= {"200", "401", "404"}
    assert "application/pdf" in operation["responses"]["200"]["content"]
    assert operation["security"]
