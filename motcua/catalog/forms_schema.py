"""E-forms are JSON Schema (draft 2020-12) objects with a small, documented vocabulary that pages can render.

Each property has a `type` (string, integer, number, boolean), a Vietnamese `title`, an optional English
`x-title-en`, and may use `format` (date, email), `enum` (with `x-enum-labels`: {value: {vi, en}}), `pattern`,
`minLength`, `maxLength`, `minimum`, `maximum`, `description` / `x-description-en`, `x-widget: textarea`.
"""

from __future__ import annotations

from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

PROPERTY_TYPES = {"string", "integer", "number", "boolean"}
FORMATS = {"date", "email"}


def schema_problems(schema: dict[str, Any]) -> list[str]:
    """What makes `schema` unusable as an e-form, as short sentences; empty when it is fine."""
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        return [f"not a valid JSON Schema: {exc.message}"]
    problems = []
    if schema.get("type") != "object":
        problems.append('an e-form schema must have "type": "object"')
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        problems.append("an e-form schema must have at least one property")
        return problems
    for name, prop in properties.items():
        if not isinstance(prop, dict):
            problems.append(f"property {name} must be an object")
            continue
        if prop.get("type") not in PROPERTY_TYPES:
            problems.append(f"property {name}: type must be one of {', '.join(sorted(PROPERTY_TYPES))}")
        if not prop.get("title"):
            problems.append(f"property {name}: a title (Vietnamese) is required")
        if "format" in prop and prop["format"] not in FORMATS:
            problems.append(f"property {name}: format must be one of {', '.join(sorted(FORMATS))}")
    missing = [name for name in schema.get("required", []) if name not in properties]
    if missing:
        problems.append(f"required names unknown properties: {', '.join(missing)}")
    return problems
