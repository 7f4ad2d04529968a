"""The DCAT-AP catalog (parsed back with rdflib and queried with SPARQL) and the public data pages."""

from __future__ import annotations

from rdflib import Graph

from motcua.opendata.models import Resource

COUNTS = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
SELECT (COUNT(DISTINCT ?d) AS ?datasets) (COUNT(DISTINCT ?x) AS ?distributions) WHERE {
  ?c a dcat:Catalog ; dcat:dataset ?d . ?d a dcat:Dataset ; dcat:distribution ?x .
  ?x a dcat:Distribution ; dcat:downloadURL ?u ; dcat:accessURL ?u ; dcat:mediaType ?m .
}"""

DETAIL = """
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct: <http://purl.org/dc/terms/>
SELECT ?vi ?en ?issued ?modified ?publisher ?theme ?url ?format ?license WHERE {
  ?d a dcat:Dataset ; dct:identifier ?id ; dct:title ?vi, ?en ; dct:issued ?issued ; dct:modified ?modified ;
     dct:publisher ?publisher ; dcat:theme ?theme ; dcat:keyword "ho-so" ; dct:description ?desc ;
     dcat:distribution ?x .
  ?x dcat:downloadURL ?url ; dct:format ?format ; dct:license ?license .
  FILTER(lang(?vi) = "vi" && lang(?en) = "en" && lang(?desc) = "vi" && CONTAINS(STR(?url), "ho-so-theo-thang.csv"))
}"""


def test_catalog_in_turtle_and_json_ld(client, published):
    turtle = client.get("/catalog.ttl")
    assert turtle.status_code == 200 and turtle["Content-Type"].startswith("text/turtle")
    jsonld = client.get("/catalog.jsonld")
    assert jsonld.status_code == 200 and jsonld["Content-Type"].startswith("application/ld+json")
    for text, fmt in ((turtle.content.decode(), "turtle"), (jsonld.content.decode(), "json-ld")):
        graph = Graph().parse(data=text, format=fmt)
        row = next(iter(graph.query(COUNTS)))
        assert int(row.datasets) == 13 and int(row.distributions) == Resource.objects.count() == 26
        found = list(graph.query(DETAIL))
        assert len(found) == 1
        match = found[0]
        assert str(match.vi) == "Số lượng hồ sơ theo tháng" and str(match.en) == "Dossier volume by month"
        assert str(match.url) == "http://testserver/data/ho-so-theo-thang/ho-so-theo-thang.csv"
        assert str(match.format).endswith("/CSV") and "creativecommons.org/licenses/by/4.0" in str(match.license)
        assert str(match.theme).endswith("group=dossiers-monthly")


def test_list_page_searches_and_filters(client, published):
    page = client.get("/data/")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('data-testid="dataset-') == 13 and "Số lượng hồ sơ theo tháng" in html
    assert 'data-testid="nav-open-data"' in html
    filtered = client.get("/data/", {"group": "petitions"}).content.decode()
    assert filtered.count('data-testid="dataset-') == 1 and 'data-testid="dataset-phan-anh-kien-nghi"' in filtered
    searched = client.get("/data/", {"q": "phí"}).content.decode()
    assert 'data-testid="dataset-phi-le-phi"' in searched
    english = client.get("/data/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Dossier volume by month" in english


def test_detail_page_has_preview_chart_and_downloads(client, published):
    page = client.get("/data/ho-so-theo-thang/")
    assert page.status_code == 200
    html = page.content.decode()
    assert '<svg class="chart"' in html and html.count("<rect ") == 12
    assert '<th scope="col">month</th>' in html and "<td>2024-01</td>" in html
    assert 'href="/data/ho-so-theo-thang/ho-so-theo-thang.csv"' in html
    assert 'href="/data/ho-so-theo-thang/ho-so-theo-thang.json"' in html
    rate = client.get("/data/ty-le-dung-han/").content.decode()
    assert "<polyline" in rate
    assert client.get("/data/no-such/").status_code == 404
    assert client.get("/data/ho-so-theo-thang/other.csv").status_code == 404
    json_file = client.get("/data/ho-so-theo-thang/ho-so-theo-thang.json")
    assert json_file["Content-Type"].startswith("application/json") and json_file.json()[0]["month"] == "2024-01"
