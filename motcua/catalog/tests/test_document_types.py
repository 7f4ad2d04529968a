"""Document types in the catalog: what components accept and what results produce, so a result of one procedure is
reused in another; every reference must name a declared type."""

from __future__ import annotations

import copy
import hashlib
import json

import pytest

from motcua.catalog.models import DocumentType, Procedure
from motcua.catalog.queries import export_catalog
from motcua.catalog.schema import ProcedureIn
from motcua.catalog.services import CatalogInvalid, content_hash, import_catalog

pytestmark = pytest.mark.django_db


def find(document, code):
    return next(p for p in document["procedures"] if p["code"] == code)


def test_the_demo_catalog_links_results_to_the_components_of_other_procedures(catalog):
    produced = {p.code: p.current_version.result_document_type for p in Procedure.objects.all()
                if p.current_version.result_document_type}
    assert produced["1.013133"] == "giay_chung_nhan_dang_ky_nvqs"
    accepting = {p.code for p in Procedure.objects.all()
                 if any("giay_chung_nhan_dang_ky_nvqs" in c.accepted_document_types
                        for c in p.current_version.components.all())}
    assert {"1.001733", "1.001739", "1.001745", "1.001755"} <= accepting
    # Every type produced or accepted is declared, with a name.
    used = set(produced.values()) | {t for p in Procedure.objects.all() for c in p.current_version.components.all()
                                     for t in c.accepted_document_types}
    assert used <= set(DocumentType.objects.values_list("code", flat=True))
    assert DocumentType.objects.get(code="cccd").name_en == "Citizen identity card"


def test_an_undeclared_document_type_is_refused_with_its_path(db, demo_catalog_data):
    broken = copy.deepcopy(demo_catalog_data)
    find(broken, "1.013133")["result"]["document_type"] = "khong_khai_bao"
    find(broken, "1.001733")["components"][1]["document_types"] = ["khong_khai_bao_2"]
    with pytest.raises(CatalogInvalid) as failed:
        import_catalog(broken)
    problems = {(e.field, e.rule) for e in failed.value.errors}
    assert problems == {
        ("procedures[0] (1.013133).result.document_type", "unknown_document_type"),
        (f"procedures[{broken['procedures'].index(find(broken, '1.001733'))}] (1.001733).components[1]"
         ".document_types[0]", "unknown_document_type"),
    }
    assert not Procedure.objects.exists()


def test_document_types_round_trip_and_old_texts_keep_their_digest(catalog, demo_catalog_data):
    exported = export_catalog()
    assert {t["code"] for t in exported["document_types"]} == {t["code"] for t in demo_catalog_data["document_types"]}
    assert find(exported, "1.013133")["result"]["document_type"] == "giay_chung_nhan_dang_ky_nvqs"
    assert "document_type" not in find(exported, "1.001733")["result"]
    assert not import_catalog(exported).changed
    # A procedure without a result type digests as it did before document types existed.
    plain = ProcedureIn.model_validate(find(demo_catalog_data, "1.001733"))
    dumped = plain.model_dump(mode="json", exclude={"status"})
    del dumped["result"]["document_type"]
    assert content_hash(plain) == hashlib.sha256(
        json.dumps(dumped, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
