"""Result pages for people: verification (Vietnamese and English), the holder's results, the leader's cancel form."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from motcua.results.models import Result

from .test_results import approve, download


@pytest.fixture
def issued(api, frozen_clock) -> str:
    code, answer = approve(api, frozen_clock)
    assert answer.status_code == 200, answer.content
    return f"{code}-KQ1"


def logged_in(username: str) -> Client:
    client = Client()
    assert client.login(username=username, password="motcua-demo")
    return client


def english(client: Client) -> Client:
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    return client


def test_the_verification_page_answers_by_code_in_vietnamese_and_english(issued):
    page = Client().get(f"/verify/{issued}/")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-verdict="valid"' in html
    assert "Kết quả còn hiệu lực." in html and "N. V. An" in html and "Nguyễn Văn An" not in html
    assert "Hoàng Minh Đức" in html and "chứng thư thử nghiệm" in html
    html = english(Client()).get(f"/verify/{issued}/").content.decode()
    assert "The result is valid." in html and "Signatures" in html and "test certificate" in html


def test_the_verification_form_takes_a_pdf_or_the_qr_text(api, issued):
    pdf = download(api, "citizen.demo", issued)
    page = Client().post("/verify/", {"file": SimpleUploadedFile("kq.pdf", pdf, content_type="application/pdf")})
    html = page.content.decode()
    assert page.status_code == 200 and 'data-verdict="valid"' in html and "Nguyễn Văn An" in html
    assert "Nguyên vẹn" in html and "Đây là bản đã lưu trong sổ đăng ký." in html
    seal = Result.objects.get(code=issued).seal
    html = Client().post("/verify/", {"qr": seal}).content.decode()
    assert 'data-verdict="valid"' in html and "Tem QR xác thực" in html or "Chữ ký của tem hợp lệ" in html


@pytest.mark.parametrize("form, status, text", [
    ({}, 400, "Nhập mã kết quả, dán nội dung mã QR hoặc chọn tệp PDF."),
    ({"qr": "not a seal"}, 422, "Đây không phải tem xác thực"),
    ({"code": "000.05.12.H26-261123-9999-KQ1"}, 200, "Không có kết quả nào được cấp với mã này."),
])
def test_the_verification_form_explains_what_is_wrong(db, form, status, text):
    page = Client().post("/verify/", form)
    assert page.status_code == status
    assert text in page.content.decode()


def test_the_holder_lists_and_downloads_their_results_others_cannot(issued):
    citizen = logged_in("citizen.demo")
    html = citizen.get("/my/results/").content.decode()
    assert issued in html and "Giấy chứng nhận đăng ký nghĩa vụ quân sự" in html and "Còn hiệu lực" in html
    response = citizen.get(f"/my/results/{issued}.pdf")
    assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert logged_in("citizen2.demo").get(f"/my/results/{issued}.pdf").status_code == 404
    assert "Bạn chưa có kết quả điện tử nào." in logged_in("citizen2.demo").get("/my/results/").content.decode()
    dossier = issued.rsplit("-KQ", 1)[0]
    detail = citizen.get(f"/my/dossiers/{dossier}/").content.decode()
    assert f'data-testid="result-{issued}"' in detail and "Tải tệp PDF đã ký số" in detail
    assert "Hủy kết quả" not in detail  # no cancel form for the applicant


def test_a_leader_cancels_from_the_workspace_and_the_page_says_so(issued):
    dossier = issued.rsplit("-KQ", 1)[0]
    handler_page = logged_in("handler.demo").get(f"/backoffice/dossiers/{dossier}/").content.decode()
    assert f'data-testid="result-{issued}"' in handler_page and "Hủy kết quả" not in handler_page
    leader = logged_in("leader.demo")
    assert "Hủy kết quả" in leader.get(f"/backoffice/dossiers/{dossier}/").content.decode()
    empty = leader.post(f"/backoffice/results/{issued}/cancel/", {"reason": ""}, follow=True)
    assert "Nhập lý do." in empty.content.decode()
    assert Result.objects.get(code=issued).state == "valid"
    done = leader.post(f"/backoffice/results/{issued}/cancel/", {"reason": "Cấp nhầm"}, follow=True)
    html = done.content.decode()
    assert f"Đã hủy kết quả {issued}." in html and "Lý do: Cấp nhầm" in html, html
    assert Result.objects.get(code=issued).state == "cancelled"
    assert 'data-verdict="not_valid"' in Client().get(f"/verify/{issued}/").content.decode()


def test_the_slip_and_result_urls_are_not_for_strangers(issued):
    anonymous: Any = Client()
    assert anonymous.get("/my/results/").status_code == 302
    assert anonymous.post(f"/backoffice/results/{issued}/cancel/", {"reason": "x"}).status_code == 302
    stranger = logged_in("citizen2.demo")
    assert stranger.post(f"/backoffice/results/{issued}/cancel/", {"reason": "x"}).status_code == 404
    assert Result.objects.get(code=issued).state == "valid"
