import pytest

pytestmark = pytest.mark.django_db


def test_home_lists_the_fields_with_counts(catalog, client):
    response = client.get("/")
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('href="/procedures/?field=') == 18
    assert "Nghĩa vụ quân sự" in html


def test_search_page_finds_without_diacritics(catalog, client):
    html = client.get("/procedures/", {"q": "dang ky nghia vu quan su"}).content.decode()
    assert "/procedures/1.013133/" in html
    assert "Đăng ký nghĩa vụ quân sự lần đầu" in html


def test_search_page_ignores_unknown_filter_values(catalog, client):
    response = client.get("/procedures/", {"online": "sometimes", "level": "planet", "cursor": "%%"})
    assert response.status_code == 200


def test_procedure_page_shows_what_the_law_requires_to_be_public(catalog, client):
    html = client.get("/procedures/1.013133/").content.decode()
    for heading in ["Trình tự thực hiện", "Thành phần hồ sơ", "Căn cứ pháp lý", "Thời hạn giải quyết",
                    "Cơ quan thực hiện", "Đối tượng thực hiện", "Kết quả", "Phí, lệ phí"]:
        assert heading in html, heading
    assert "1 ngày làm việc" in html


def test_procedure_page_in_english(catalog, client):
    client.cookies["motcua_language"] = "en"
    html = client.get("/procedures/1.013133/").content.decode()
    assert '<html lang="en">' in html
    assert "Dossier components" in html and "working days" in html


def test_unknown_procedure_page_is_404(catalog, client):
    assert client.get("/procedures/9.999999/").status_code == 404


def test_component_templates_are_downloadable(catalog, client):
    from motcua.catalog.models import Component

    component = Component.objects.exclude(template="").first()
    response = client.get(f"/catalog-files/{component.template}")
    assert response.status_code == 200
    assert client.get("/catalog-files/..%2Fsettings.py").status_code == 404
