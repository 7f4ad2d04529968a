"""The OpenAPI document describes the API faithfully: one schema per name (two response classes with the same name
would be merged into one component and describe one of them wrongly), and every operation declares its errors."""

from __future__ import annotations

from collections import defaultdict

from ninja import Schema

from motcua.api import api


def _subclasses(cls: type) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found.append(sub)
        found.extend(_subclasses(sub))
    return found


def test_every_api_schema_has_its_own_name() -> None:
    api.get_openapi_schema()  # imports every router
    names: dict[str, set[str]] = defaultdict(set)
    for cls in _subclasses(Schema):
        if cls.__module__.startswith("motcua.") and ".tests" not in cls.__module__:
            names[cls.__name__].add(f"{cls.__module__}.{cls.__qualname__}")
    assert {name: where for name, where in names.items() if len(where) > 1} == {}


def test_operations_declare_401_when_authenticated_and_422_when_their_input_can_be_malformed() -> None:
    spec = api.get_openapi_schema()
    missing = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            codes = {str(code) for code in op["responses"]}
            if op.get("security") and "401" not in codes:
                missing.append(f"{method.upper()} {path}: 401")
            # A free-text path segment cannot be malformed; a body, a query or a typed path parameter can.
            checked = [p for p in op.get("parameters", [])
                       if p["in"] != "path" or p.get("schema", {}).get("type") != "string"]
            if (checked or op.get("requestBody")) and "422" not in codes:
                missing.append(f"{method.upper()} {path}: 422")
    assert missing == []
