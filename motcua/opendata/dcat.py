"""The catalog in DCAT-AP (rdflib): one dcat:Catalog, a dcat:Dataset per published dataset, a dcat:Distribution per
file, serialized as Turtle or JSON-LD."""

from __future__ import annotations

from django.urls import reverse
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, RDF, XSD

from .datasets import CATEGORY, LICENSE_URL
from .models import Dataset
from .queries import MEDIA_TYPES, datasets, download_path

VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
IANA = "https://www.iana.org/assignments/media-types/"
EU_FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
EU_FREQUENCY = "http://publications.europa.eu/resource/authority/frequency/"


def _date(value: object) -> Literal:
    return Literal(value.isoformat(), datatype=XSD.dateTime)  # type: ignore[attr-defined]


def _add_dataset(graph: Graph, catalog: URIRef, dataset: Dataset, base_url: str) -> None:
    node = URIRef(base_url + reverse("opendata:detail", args=[dataset.name]))
    graph.add((catalog, DCAT.dataset, node))
    graph.add((node, RDF.type, DCAT.Dataset))
    graph.add((node, DCTERMS.identifier, Literal(str(dataset.id))))
    graph.add((node, DCTERMS.title, Literal(dataset.title_vi, lang="vi")))
    graph.add((node, DCTERMS.title, Literal(dataset.title_en, lang="en")))
    graph.add((node, DCTERMS.description, Literal(dataset.notes_vi, lang="vi")))
    graph.add((node, DCTERMS.description, Literal(dataset.notes_en, lang="en")))
    graph.add((node, DCTERMS.issued, _date(dataset.created_at)))
    graph.add((node, DCTERMS.modified, _date(dataset.modified_at)))
    graph.add((node, DCTERMS.accrualPeriodicity, URIRef(EU_FREQUENCY + dataset.frequency)))
    graph.add((node, DCTERMS.publisher, _publisher(graph, dataset, base_url)))
    graph.add((node, DCAT.landingPage, node))
    for keyword in dataset.tags:
        graph.add((node, DCAT.keyword, Literal(keyword)))
    for group in dataset.groups:
        theme = URIRef(f"{base_url}/data/?group={group}")
        graph.add((node, DCAT.theme, theme))
        if group in CATEGORY:
            graph.add((theme, DCTERMS.title, Literal(CATEGORY[group].title_vi, lang="vi")))
            graph.add((theme, DCTERMS.title, Literal(CATEGORY[group].title_en, lang="en")))
    for resource in dataset.resources.all():
        url = URIRef(base_url + download_path(resource, dataset.name))
        dist = URIRef(f"{url}#distribution")
        graph.add((node, DCAT.distribution, dist))
        graph.add((dist, RDF.type, DCAT.Distribution))
        graph.add((dist, DCTERMS.title, Literal(f"{dataset.title_vi} ({resource.format})", lang="vi")))
        graph.add((dist, DCAT.accessURL, url))
        graph.add((dist, DCAT.downloadURL, url))
        graph.add((dist, DCAT.mediaType, URIRef(IANA + MEDIA_TYPES[resource.format])))
        graph.add((dist, DCTERMS["format"], URIRef(EU_FILE_TYPE + resource.format)))
        graph.add((dist, DCTERMS.license, URIRef(LICENSE_URL)))
        graph.add((dist, DCAT.byteSize, Literal(resource.size, datatype=XSD.nonNegativeInteger)))
        graph.add((dist, DCTERMS.modified, _date(resource.last_modified)))
        checksum = BNode()
        graph.add((dist, URIRef("http://spdx.org/rdf/terms#checksum"), checksum))
        graph.add((checksum, URIRef("http://spdx.org/rdf/terms#algorithm"),
                   URIRef("http://spdx.org/rdf/terms#checksumAlgorithm_sha256")))
        graph.add((checksum, URIRef("http://spdx.org/rdf/terms#checksumValue"),
                   Literal(resource.sha256, datatype=XSD.hexBinary)))


def _publisher(graph: Graph, dataset: Dataset, base_url: str) -> URIRef:
    unit = dataset.organization
    node = URIRef(f"{base_url}/data/?organization={unit.agency_code}")
    graph.add((node, RDF.type, FOAF.Organization))
    graph.add((node, FOAF.name, Literal(unit.name_vi, lang="vi")))
    if unit.name_en:
        graph.add((node, FOAF.name, Literal(unit.name_en, lang="en")))
    graph.add((node, DCTERMS.identifier, Literal(unit.agency_code)))
    return node


def catalog_graph(base_url: str) -> Graph:
    graph = Graph()
    for prefix, namespace in (("dcat", DCAT), ("dct", DCTERMS), ("foaf", FOAF), ("vcard", VCARD)):
        graph.bind(prefix, namespace)
    catalog = URIRef(base_url + reverse("opendata:list"))
    graph.add((catalog, RDF.type, DCAT.Catalog))
    graph.add((catalog, DCTERMS.title, Literal("Dữ liệu mở motcua", lang="vi")))
    graph.add((catalog, DCTERMS.title, Literal("motcua open data", lang="en")))
    graph.add((catalog, DCTERMS.description, Literal(
        "Dữ liệu mở về thủ tục hành chính và giải quyết hồ sơ, tổng hợp, không có dữ liệu cá nhân.", lang="vi")))
    graph.add((catalog, DCTERMS.description, Literal(
        "Open data on administrative procedures and the settlement of dossiers, aggregated, without personal data.",
        lang="en")))
    graph.add((catalog, DCTERMS.license, URIRef(LICENSE_URL)))
    graph.add((catalog, FOAF.homepage, catalog))
    found = datasets()
    if found:
        graph.add((catalog, DCTERMS.publisher, _publisher(graph, found[0], base_url)))
        graph.add((catalog, DCTERMS.modified, _date(max(d.modified_at for d in found))))
    for dataset in found:
        _add_dataset(graph, catalog, dataset, base_url)
    return graph


def serialize(base_url: str, fmt: str) -> str:
    """The catalog as Turtle ("turtle") or JSON-LD ("json-ld")."""
    return catalog_graph(base_url).serialize(format=fmt)
