"""Template helpers: pick the active language's text of a bilingual object, format VND."""

from __future__ import annotations

from django import template
from django.utils import translation

register = template.Library()


@register.filter
def tr(obj: object, name: str) -> str:
    """`{{ version|tr:"name" }}`: obj.name_en in English when it is filled, else obj.name_vi."""
    if (translation.get_language() or "vi")[:2] == "en":
        english = getattr(obj, f"{name}_en", "")
        if english:
            return english
    return getattr(obj, f"{name}_vi", "")


@register.filter
def vnd(amount: int) -> str:
    """12500 -> "12.500 ₫" (Vietnamese thousands separator)."""
    return f"{int(amount):,}".replace(",", ".") + " ₫"


@register.filter
def number(value: object) -> str:
    """A Decimal time limit without trailing zeros: 1.00 -> 1, 1.50 -> 1.5."""
    text = f"{value:f}" if hasattr(value, "as_tuple") else str(value)
    return text.rstrip("0").rstrip(".") if "." in text else text


def _choices() -> dict[str, dict[object, str]]:
    from motcua.catalog.models import Channel, OnlineLevel, Subject, TimeUnit
    from motcua.organization.models import UnitLevel

    return {"level": dict(UnitLevel.choices), "subject": dict(Subject.choices), "channel": dict(Channel.choices),
            "time_unit": dict(TimeUnit.choices), "online": dict(OnlineLevel.choices)}


@register.filter
def labels(values: list[object] | object, kind: str) -> str:
    """`{{ version.levels|labels:"level" }}`: the translated labels of choice values, comma-separated."""
    table = _choices()[kind]
    items = values if isinstance(values, list) else [values]
    return ", ".join(str(table.get(value, value)) for value in items)
