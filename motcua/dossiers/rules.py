"""Checks of a dossier's content: the e-form against its JSON Schema, components, and automatic-step rules."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from jsonschema import Draft202012Validator, FormatChecker

from motcua.catalog.models import ProcedureVersion
from motcua.catalog.process import Rule
from motcua.core.errors import FieldError

_MESSAGES = {
    "required": _("This field is required."),
    "type": _("This value has the wrong type."),
    "pattern": _("This value does not have the required format."),
    "format": _("This value does not have the required format."),
    "enum": _("Choose one of the listed values."),
    "maxLength": _("This value is too long."),
    "minLength": _("This value is too short."),
    "minimum": _("This value is too small."),
    "maximum": _("This value is too large."),
    "additionalProperties": _("This field is not part of the form."),
}


def form_errors(version: ProcedureVersion, form: Any, prefix: str = "form") -> list[FieldError]:
    """Every way `form` breaks the e-form schema of `version`, each naming the form field and the schema keyword."""
    if not isinstance(form, dict):
        return [FieldError(prefix, "type", _("The form must be a JSON object."))]
    validator = Draft202012Validator(version.form_schema, format_checker=FormatChecker())
    errors = []
    for error in sorted(validator.iter_errors(form), key=lambda e: list(e.absolute_path)):
        path = [str(part) for part in error.absolute_path]
        if error.validator == "required":
            # "'ho_ten' is a required property": the missing name is the first quoted word.
            missing = str(error.message).split("'")[1] if "'" in str(error.message) else ""
            path.append(missing)
        field = ".".join([prefix, *[p for p in path if p]])
        errors.append(FieldError(field, str(error.validator), _MESSAGES.get(str(error.validator), error.message)))
    return errors


def rule_passes(rule: Rule, form: dict[str, Any], context: dict[str, Any]) -> bool:
    """Whether one automatic-step rule holds for the form data (and registry `context`)."""
    if rule.check == "owner_identity_matches":
        return bool(context.get("owner_identity_matches"))
    value = form.get(rule.field or "")
    if rule.op == "present":
        return value not in (None, "", [])
    if value is None:
        return False
    try:
        match rule.op:
            case "eq":
                return value == rule.value
            case "ne":
                return value != rule.value
            case "lt":
                return value < rule.value
            case "le":
                return value <= rule.value
            case "gt":
                return value > rule.value
            case "ge":
                return value >= rule.value
            case "in":
                return value in (rule.value or [])
    except TypeError:
        return False  # compared values of different types: the rule does not hold
    return False
