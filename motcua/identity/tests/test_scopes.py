"""Token scopes: a token does what its account may do, limited to the areas and verbs it was issued for."""

from __future__ import annotations

import pytest
from django.test import Client


def token(client: Client, scope: str | None) -> str:
    body = {"username": "citizen.demo", "password": "motcua-demo"}
    if scope is not None:
        body["scope"] = scope
    answer = client.post("/api/v1/auth/token", body, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["scope"] == (scope or "*")
    return answer.json()["access_token"]


@pytest.mark.parametrize(("scope", "me", "dossiers"), [
    (None, 200, 200),                     # default: everything the account may do
    ("me:read", 200, 403),
    ("dossiers:write", 403, 200),          # write implies read
    ("dossiers:read me:read", 200, 200),
    ("catalog:read", 403, 403),
])
def test_a_token_reaches_only_the_areas_of_its_scope(demo, client, scope, me, dossiers) -> None:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token(client, scope)}"}
    assert client.get("/api/v1/me", **headers).status_code == me
    answer = client.get("/api/v1/dossiers", **headers)
    assert answer.status_code == dossiers
    if dossiers == 403:
        error = answer.json()["errors"][0]
        assert (error["field"], error["rule"]) == ("Authorization", "insufficient_scope")


def test_a_read_scope_does_not_allow_writing(demo, client) -> None:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token(client, 'dossiers:read')}"}
    answer = client.post("/api/v1/dossiers", {"procedure": "1.013133", "form": {}, "components": []},
                         content_type="application/json", **headers)
    assert answer.status_code == 403 and answer.json()["errors"][0]["rule"] == "insufficient_scope"


@pytest.mark.parametrize("scope", ["", "dossiers", "dossiers:delete", "Dossiers:read", "a:read  b:read"])
def test_a_malformed_scope_is_refused_naming_the_field(demo, client, scope) -> None:
    answer = client.post("/api/v1/auth/token", {"username": "citizen.demo", "password": "motcua-demo",
                                                "scope": scope}, content_type="application/json")
    assert answer.status_code == 422
    assert any(e["field"].endswith("scope") for e in answer.json()["errors"]), answer.json()
