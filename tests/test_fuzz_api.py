"""Fuzzing the HTTP API from its OpenAPI spec with schemathesis (bounded, in CI): for every operation, generated valid
and invalid requests, sent as an anonymous caller, a citizen and an officer, never get a 5xx, and every answer has a
status, content type, headers and body the spec declares for that operation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from conftest import token_for

pytestmark = pytest.mark.fuzz

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
# tus PATCH bodies (`application/offset+octet-stream`) are raw bytes, like any octet stream.
schemathesis.serializer.alias("application/offset+octet-stream", "application/octet-stream")

EXAMPLES = 12  # per operation and caller: bounded so the run takes minutes, not hours


@pytest.fixture
def headers(demo: None, client: Any, caller: str) -> dict[str, str]:
    """The caller's Authorization header. Fetched before `schema` disconnects the signals: Django's test client
    connects them again after each of its requests."""
    return {} if caller == "anonymous" else {"Authorization": f"Bearer {token_for(client, caller)}"}


@pytest.fixture
def schema(db: None, headers: dict[str, str]) -> Iterator[Any]:
    """The spec served by the app, and the app itself as the WSGI target; like Django's test client, requests do not
    close the test's database connection (its transaction holds the test data; on PostgreSQL, unlike SQLite in
    memory, closing it loses that transaction)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def operations() -> list[str]:
    from motcua.api import api

    spec = api.get_openapi_schema()
    return [f"{method.upper()} {path}" for path, item in spec["paths"].items() for method in item]


@pytest.mark.parametrize("caller", ["anonymous", "citizen.demo", "onestop.demo"])
@pytest.mark.parametrize("operation", operations())
def test_operation_answers_as_its_spec_says(headers, schema, operation: str, caller: str) -> None:
    method, path = operation.split(" ", 1)
    op = schema[path][method].ok() if hasattr(schema[path][method], "ok") else schema[path][method]

    sent: list[int] = []

    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                         suppress_health_check=list(HealthCheck), phases=[hypothesis.Phase.explicit,
                                                                          hypothesis.Phase.generate])
    @given(case=op.as_strategy())
    def run(case: Any) -> None:
        sent.append(case.call_and_validate(headers=headers, checks=CHECKS).status_code)

    run()
    assert sent, "no request was generated"
