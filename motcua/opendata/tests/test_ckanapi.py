"""The real `ckanapi` client (Python API and command line) against a live server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ckanapi
import pytest

from motcua.opendata.models import Dataset


def test_remote_ckan_client(live_server, published):
    site = ckanapi.RemoteCKAN(live_server.url, user_agent="motcua-tests")
    names = site.action.package_list()
    assert names == sorted(Dataset.objects.values_list("name", flat=True)) and len(names) == 13
    found = site.action.package_search(q="hồ sơ", fq="groups:dossiers-monthly", rows=5,
                                       sort="metadata_modified desc", **{"facet.field": ["groups", "tags"]})
    assert found["count"] == 1 and found["results"][0]["name"] == "ho-so-theo-thang"
    assert found["facets"]["groups"] == {"dossiers-monthly": 1}
    dataset = site.action.package_show(id="ty-le-dung-han")
    resource = site.action.resource_show(id=dataset["resources"][0]["id"])
    assert resource["url"].startswith(live_server.url + "/data/ty-le-dung-han/")
    assert site.action.organization_list(all_fields=True)[0]["package_count"] == 13
    assert len(site.action.group_list()) == 13
    assert site.action.group_show(id="fees", include_datasets=True)["packages"][0]["name"] == "phi-le-phi"
    assert site.action.status_show()["ckan_version"].startswith("2.")
    with pytest.raises(ckanapi.NotFound):
        site.action.package_show(id="missing")
    with pytest.raises(ckanapi.ValidationError) as invalid:
        site.action.package_search(rows="x")
    assert invalid.value.error_dict["rows"] == ["Invalid integer"]
    with pytest.raises(ckanapi.SearchQueryError):
        site.action.package_search(sort="nonsense asc")
    # GET-only clients (get_only=True) send the parameters in the query string
    reader = ckanapi.RemoteCKAN(live_server.url, get_only=True)
    assert reader.action.package_search(fq="tags:petitions")["results"][0]["name"] == "phan-anh-kien-nghi"


def test_ckanapi_dump_datasets_command(live_server, published, tmp_path):
    executable = Path(sys.executable).parent / "ckanapi"
    out = tmp_path / "datasets.jsonl"
    completed = subprocess.run(
        [str(executable), "dump", "datasets", "--all", "-O", str(out), "-r", live_server.url, "-p", "2"],
        capture_output=True, text=True, timeout=300,
        # its worker processes are started as `ckanapi` from the PATH
        env={**os.environ, "PATH": f"{executable.parent}{os.pathsep}{os.environ.get('PATH', '')}"},
    )
    assert completed.returncode == 0, completed.stderr
    lines = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(d["name"] for d in lines) == sorted(Dataset.objects.values_list("name", flat=True))
    for dataset in lines:
        assert {r["format"] for r in dataset["resources"]} == {"CSV", "JSON"}
        assert all(r["url"].startswith(live_server.url + "/data/") for r in dataset["resources"])
