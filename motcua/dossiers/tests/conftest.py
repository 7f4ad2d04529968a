"""Shared helpers for dossier tests: demo accounts with API tokens, uploaded files, a valid 1.013133 submission."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from conftest import token_for
from motcua.demo.samples import FIRST_REGISTRATION_FORM, MINIMAL_PDF
from motcua.identity.models import User


class Api:
    """A demo account talking to the HTTP API with its bearer token."""

    def __init__(self, client: Client, username: str) -> None:
        self.client = client
        self.username = username
        self.token = token_for(client, username)
        self.user = User.objects.get(username=username)

    def headers(self, **extra: str) -> dict[str, str]:
        return {"authorization": f"Bearer {self.token}", **extra}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(path, params, headers=self.headers())

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.client.post(path, body if body is not None else {}, content_type="application/json",
                                headers=self.headers(**headers))

    def upload(self, name: str = "to-khai.pdf", content: bytes = MINIMAL_PDF) -> str:
        response = self.client.post("/api/v1/files", {"file": SimpleUploadedFile(name, content)},
                                    headers=self.headers())
        assert response.status_code == 201, response.content
        return response.json()["id"]

    def act(self, code: str, action: str, body: dict[str, Any] | None = None) -> Any:
        return self.post(f"/api/v1/dossiers/{code}/actions/{action}", body or {})


@pytest.fixture
def api(demo, client, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.API_TOKEN_TTL_SECONDS = 30 * 24 * 3600  # tests move the clock on by days
    accounts: dict[str, Api] = {}

    def get(username: str) -> Api:
        if username not in accounts:
            accounts[username] = Api(client, username)
        return accounts[username]

    return get


def first_registration(citizen: Api, **overrides: Any) -> dict[str, Any]:
    """A complete, valid submission of 1.013133 with freshly uploaded PDFs."""
    body = {
        "procedure": "1.013133",
        "form": dict(FIRST_REGISTRATION_FORM),
        "components": [
            {"code": "to_khai", "files": [citizen.upload("to-khai.pdf")]},
            {"code": "phieu_tu_khai_suc_khoe", "files": [citizen.upload("suc-khoe.pdf")]},
            {"code": "cccd", "files": [citizen.upload("cccd.pdf")]},
        ],
    }
    body.update(overrides)
    return body


def ship_declaration(agent: Api) -> dict[str, Any]:
    """shipagent.demo's declaration of an arriving ship (1.010531), settled automatically when its rules pass."""
    return {
        "procedure": "1.010531", "unit": "000.07.00.H31",
        "form": {"ten_tau": "HAI AN 01", "so_imo": "9123456", "quoc_tich_tau": "Việt Nam", "so_thuyen_vien": 18},
        "components": [{"code": "ban_khai_chung", "files": [agent.upload("ban-khai.pdf")]},
                       {"code": "danh_sach_thuyen_vien", "files": [agent.upload("thuyen-vien.pdf")]}],
    }


@pytest.fixture
def submitted(api):
    """citizen.demo's 1.013133 dossier, just submitted (status 1)."""
    citizen = api("citizen.demo")
    response = citizen.post("/api/v1/dossiers", first_registration(citizen))
    assert response.status_code == 201, response.content
    return response.json()
