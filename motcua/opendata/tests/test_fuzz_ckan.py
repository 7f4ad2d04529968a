"""Fuzzing the CKAN action API from its own OpenAPI document (/api/3/openapi.json) with schemathesis, bounded: no
generated request, valid or not, gets a 5xx or an answer its spec does not declare."""

from __future__ import annotations

from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, status_code_conformance

from motcua.opendata.api import PARAMETERS

pytestmark = pytest.mark.fuzz


@pytest.fixture
def schema(published) -> Any:
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield schemathesis.openapi.from_wsgi("/api/3/openapi.json", get_wsgi_application())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


def test_every_action_answers_as_its_spec_says(schema) -> None:
    sent: list[int] = []
    for name in PARAMETERS:
        for method in ("GET", "POST"):
            op = schema[f"/api/3/action/{name}"][method]

            @hypothesis.settings(max_examples=5, deadline=None, database=None, derandomize=True,
                                 suppress_health_check=list(HealthCheck),
                                 phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate])
            @given(case=op.as_strategy())
            def run(case: Any) -> None:
                checks = [not_a_server_error, status_code_conformance, content_type_conformance]
                sent.append(case.call_and_validate(checks=checks).status_code)

            run()
    assert len(sent) >= 2 * len(PARAMETERS) and 200 in sent
