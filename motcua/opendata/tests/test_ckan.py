"""The CKAN action API: envelope, errors, search (q, fq, rows, start, sort, facets), organizations, groups, files."""

from __future__ import annotations

import json

import pytest

from motcua.opendata.models import Dataset, Resource

PREFIXES = ("/api/3/action", "/api/action")


def get(client, name, **params):
    return client.get(f"/api/3/action/{name}", params)


def post(client, name, body, prefix="/api/action"):
    return client.post(f"{prefix}/{name}", json.dumps(body), content_type="application/json")


def test_envelope_lists_and_show(client, published):
    for prefix in PREFIXES:
        response = client.get(f"{prefix}/package_list")
        assert response.status_code == 200
        body = response.json()
        assert set(body) == {"help", "success", "result"} and body["success"] is True
        assert body["help"] == "http://testserver/api/3/action/help_show?name=package_list"
        assert body["result"] == sorted(Dataset.objects.values_list("name", flat=True))
    assert get(client, "package_list", limit=2, offset=1).json()["result"] == body["result"][1:3]
    package = post(client, "package_show", {"id": "ho-so-theo-thang", "include_tracking": True}).json()["result"]
    by_id = get(client, "package_show", id=package["id"]).json()["result"]
    assert by_id == package
    assert package["title"] == "Số lượng hồ sơ theo tháng" and package["license_id"] == "cc-by-4.0"
    assert package["organization"]["name"] == "000-00-00-g11" and package["groups"][0]["name"] == "dossiers-monthly"
    assert {r["format"] for r in package["resources"]} == {"CSV", "JSON"} and package["num_resources"] == 2
    assert package["metadata_modified"] and "+" not in package["metadata_modified"]
    assert get(client, "package_show", id="ho-so-theo-thang", lang="en").json()["result"]["title"] == \
        "Dossier volume by month"
    csv_resource = next(r for r in package["resources"] if r["format"] == "CSV")
    assert csv_resource["url"] == "http://testserver/data/ho-so-theo-thang/ho-so-theo-thang.csv"
    download = client.get(csv_resource["url"])
    stored = Resource.objects.get(pk=csv_resource["id"])
    assert download.status_code == 200 and download.content == bytes(stored.content)
    assert download["ETag"] == f'"{stored.sha256}"' and csv_resource["hash"] == f"sha256:{stored.sha256}"
    assert client.get(csv_resource["url"], headers={"If-None-Match": download["ETag"]}).status_code == 304
    shown = get(client, "resource_show", id=csv_resource["id"]).json()["result"]
    assert shown == csv_resource
    status = get(client, "status_show").json()["result"]
    assert status["ckan_version"].startswith("2.") and status["site_url"] == "http://testserver"
    help_text = client.get("/api/3/action/help_show", {"name": "package_search"}).json()["result"]
    assert "facet.field" in help_text


def test_error_shapes(client, published):
    for prefix in PREFIXES:
        missing = client.get(f"{prefix}/package_show", {"id": "no-such-dataset"})
        assert missing.status_code == 404
        assert missing.json() == {"help": "http://testserver/api/3/action/help_show?name=package_show",
                                  "success": False, "error": {"__type": "Not Found Error", "message": "Not found"}}
    assert get(client, "resource_show", id="not-a-uuid").status_code == 404
    assert get(client, "organization_show", id="nobody").status_code == 404
    assert get(client, "group_show", id="nothing").status_code == 404
    invalid = get(client, "package_search", rows="many")
    assert invalid.status_code == 409
    assert invalid.json()["error"] == {"__type": "Validation Error", "rows": ["Invalid integer"]}
    assert get(client, "package_search", start=-1).json()["error"]["start"] == ["Must be a natural number"]
    assert get(client, "package_show").json()["error"] == {"__type": "Validation Error", "id": ["Missing value"]}
    bad_facets = get(client, "package_search", **{"facet.field": "[groups"})
    assert bad_facets.status_code == 409 and "facet.field" in bad_facets.json()["error"]
    bad_sort = get(client, "package_search", sort="owner desc")
    assert bad_sort.status_code == 409 and bad_sort.json()["error"]["__type"] == "Search Query Error"
    bad_fq = get(client, "package_search", fq="owner_name:x")
    assert bad_fq.status_code == 409 and bad_fq.json()["error"]["__type"] == "Search Query Error"
    unknown = client.get("/api/3/action/package_create")
    assert unknown.status_code == 400 and unknown.json() == "Bad request - Action name not known: package_create"
    for body in (b"{not json", b"[1, 2]"):
        broken = client.post("/api/3/action/package_list", body, content_type="application/json")
        assert broken.status_code == 400 and broken.json().startswith("Bad request - JSON Error")
    assert client.put("/api/3/action/package_list").status_code == 405


def test_post_needs_no_csrf_token(published):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/api/action/package_search", json.dumps({"rows": 1}), content_type="application/json")
    assert response.status_code == 200 and response.json()["result"]["count"] == 13
    assert strict.get("/api/3/action/package_list/").status_code == 404  # no redirect to another URL


def test_search(client, published):
    everything = post(client, "package_search", {"rows": 100}).json()["result"]
    assert everything["count"] == 13 and len(everything["results"]) == 13
    assert everything["facets"] == {} and everything["search_facets"] == {}
    words = get(client, "package_search", q="hồ sơ tháng").json()["result"]
    assert words["results"][0]["name"] == "ho-so-theo-thang"
    english = get(client, "package_search", q="petitions").json()["result"]
    assert [r["name"] for r in english["results"]] == ["phan-anh-kien-nghi"]
    assert get(client, "package_search", q="nothing-like-this").json()["result"]["count"] == 0
    grouped = get(client, "package_search", fq="groups:timeliness").json()["result"]
    assert [r["name"] for r in grouped["results"]] == ["ty-le-dung-han"]
    assert get(client, "package_search", fq="organization:000-00-00-g11 res_format:CSV").json()["result"][
        "count"] == 13
    assert get(client, "package_search", fq='tags:"ho-so" -groups:channels').json()["result"]["count"] == 3
    assert get(client, "package_search", q="groups:fees").json()["result"]["count"] == 1
    by_name = get(client, "package_search", sort="name asc", rows=5, start=2).json()["result"]
    names = sorted(Dataset.objects.values_list("name", flat=True))
    assert [r["name"] for r in by_name["results"]] == names[2:7] and by_name["count"] == 13
    desc = get(client, "package_search", sort="name desc", rows=1000).json()["result"]
    assert [r["name"] for r in desc["results"]] == names[::-1]
    Dataset.objects.filter(name="so-hoa").update(modified_at=Dataset.objects.get(name="so-hoa").modified_at
                                                + __import__("datetime").timedelta(days=1))
    recent = get(client, "package_search", sort="metadata_modified desc", rows=1).json()["result"]
    assert recent["results"][0]["name"] == "so-hoa"
    faceted = post(client, "package_search", {"q": "hồ sơ", "rows": 0, "facet.field": ["groups", "organization"],
                                              "facet.limit": 2}).json()["result"]
    assert faceted["results"] == [] and faceted["count"] >= 4
    assert sum(faceted["facets"]["organization"].values()) == faceted["count"]
    assert len(faceted["facets"]["groups"]) == 2
    items = faceted["search_facets"]["organization"]["items"]
    assert items == [{"name": "000-00-00-g11", "display_name": "Bộ Quốc phòng", "count": faceted["count"]}]
    assert faceted["search_facets"]["groups"]["title"] == "groups"


@pytest.mark.parametrize("kind", ["organization", "group"])
def test_organizations_and_groups(client, published, kind):
    names = get(client, f"{kind}_list").json()["result"]
    full = get(client, f"{kind}_list", all_fields="true").json()["result"]
    assert names == [o["name"] for o in full]
    assert len(names) == (1 if kind == "organization" else 13)
    first = full[0]
    assert first["package_count"] >= 1 and first["is_organization"] is (kind == "organization")
    shown = post(client, f"{kind}_show", {"id": first["id"], "include_datasets": True}).json()["result"]
    assert shown["name"] == first["name"] and len(shown["packages"]) == first["package_count"]
    assert "packages" not in get(client, f"{kind}_show", id=first["name"]).json()["result"]
    by_count = get(client, f"{kind}_list", sort="package_count desc", limit=1).json()["result"]
    assert len(by_count) == 1


def test_tags(client, published):
    tags = get(client, "tag_list").json()["result"]
    assert "ho-so" in tags and tags == sorted(tags)
    assert get(client, "tag_list", query="petit").json()["result"] == ["petitions"]


def test_openapi_document(client, published):
    spec = client.get("/api/3/openapi.json").json()
    paths = spec["paths"]
    for name in ("package_list", "package_show", "package_search", "organization_list", "organization_show",
                 "group_list", "group_show", "resource_show", "status_show", "tag_list"):
        operation = paths[f"/api/3/action/{name}"]
        assert set(operation) == {"get", "post"}
        assert {"200", "404", "409", "400"} <= set(operation["get"]["responses"])
    assert {p["name"] for p in paths["/api/3/action/package_search"]["get"]["parameters"]} >= {
        "q", "fq", "rows", "start", "sort", "facet.field"}
