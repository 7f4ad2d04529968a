import pytest

from motcua.catalog.queries import search_procedures

pytestmark = pytest.mark.django_db


def codes(page):
    return [p.code for p in page.items]


def test_search_ignores_diacritics_and_case(catalog):
    assert "1.013133" in codes(search_procedures(q="dang ky nghia vu quan su", limit=100))
    assert "1.013133" in codes(search_procedures(q="ĐĂNG KÝ NGHĨA VỤ", limit=100))
    assert "1.013133" in codes(search_procedures(q="1.013133"))
    assert codes(search_procedures(q="khong co thu tuc nao nhu the nay")) == []


def test_filters_narrow_the_results(catalog):
    full = search_procedures(online="full", limit=100).items
    assert full and all(p.current_version.online_level == "full" for p in full)
    commune = search_procedures(level="commune", limit=100).items
    assert commune and all("commune" in p.current_version.levels for p in commune)
    military = search_procedures(field="NVQS", limit=100).items
    assert len(military) == 7 and all(p.field.code == "NVQS" for p in military)


def test_keyset_pages_cover_everything_once(catalog, client):
    seen, cursor = [], ""
    for _ in range(50):
        body = client.get("/api/v1/procedures", {"limit": 7, "cursor": cursor}).json()
        seen += [item["code"] for item in body["items"]]
        assert len(body["items"]) <= 7
        if body["next"] is None:
            break
        cursor = body["next"]
    assert len(seen) == len(set(seen)) == len(codes(search_procedures(limit=100)))
    assert seen == sorted(seen)


def test_fields_api_counts_procedures(catalog, client):
    body = client.get("/api/v1/fields").json()
    assert len(body) == 18
    by_code = {f["code"]: f for f in body}
    assert by_code["NVQS"]["procedure_count"] == 7
    assert set(body[0]) >= {"code", "name", "procedure_count"}


def test_procedure_api_returns_form_schema_and_components(catalog, client):
    body = client.get("/api/v1/procedures/1.013133").json()
    assert body["code"] == "1.013133"
    assert body["name"] == "Đăng ký nghĩa vụ quân sự lần đầu"
    assert body["form_schema"]["properties"]
    assert {"code", "name", "required"} <= set(body["components"][0])
    english = client.get("/api/v1/procedures/1.013133", headers={"accept-language": "en"}).json()
    assert english["name"] == english["name_en"] != body["name"]


def test_unknown_procedure_is_404_with_the_error_shape(catalog, client):
    response = client.get("/api/v1/procedures/9.999999")
    assert response.status_code == 404
    assert response.json()["errors"][0]["field"] == "code"


@pytest.mark.parametrize(("query", "field", "rule"), [
    ({"limit": 101}, "limit", "less_than_equal"),
    ({"limit": 0}, "limit", "greater_than_equal"),
    ({"online": "sometimes"}, "online", "literal_error"),
    ({"cursor": "%%%"}, "cursor", "cursor"),
])
def test_bad_query_parameters_get_422_naming_field_and_rule(catalog, client, query, field, rule):
    response = client.get("/api/v1/procedures", query)
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "validation_failed"
    assert (body["errors"][0]["field"], body["errors"][0]["rule"]) == (field, rule)
    assert body["errors"][0]["message_vi"] and body["errors"][0]["message_en"]


def test_openapi_spec_documents_the_contract(client):
    spec = client.get("/api/v1/openapi.json").json()
    for path in ["/api/v1/fields", "/api/v1/procedures", "/api/v1/procedures/{code}", "/api/v1/auth/token",
                 "/api/v1/me"]:
        assert path in spec["paths"], path
    assert "422" in spec["paths"]["/api/v1/procedures"]["get"]["responses"]
