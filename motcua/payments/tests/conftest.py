from __future__ import annotations

from typing import Any

import pytest

from motcua.dossiers.tests.conftest import Api, api, first_registration  # noqa: F401 - api: the fixture


@pytest.fixture
def waiting(api) -> dict[str, Any]:  # noqa: F811 - the imported fixture
    """citizen.demo's dossier, accepted, asked to pay 50,000 VND (status 6)."""
    citizen, onestop = api("citizen.demo"), api("onestop.demo")
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    assert onestop.act(code, "accept").status_code == 200
    assert onestop.act(code, "request_payment", {"amount_vnd": 50000}).json()["status"] == 6
    return {"code": code, "citizen": citizen, "onestop": onestop}


def callback(client: Any, fields: dict[str, Any], gateway: str = "sandbox") -> Any:
    return client.post(f"/api/v1/payments/callback/{gateway}", fields, content_type="application/json")
