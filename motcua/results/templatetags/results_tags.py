"""`{% dossier_results dossier user as results %}`: a dossier's results, each with whether `user` may cancel or
replace it (a leader of the issuing unit, while it is valid)."""

from __future__ import annotations

from typing import Any

from django import template

from motcua.organization.queries import can_approve

from ..models import Result, State

register = template.Library()


@register.simple_tag
def dossier_results(dossier: Any, user: Any) -> list[dict[str, Any]]:
    rows = Result.objects.filter(dossier=dossier).select_related("issuer", "replaces").order_by("number")
    leader: dict[int, bool] = {}
    out = []
    for result in rows:
        if result.issuer_id not in leader:
            leader[result.issuer_id] = bool(getattr(user, "is_staff_member", False)
                                            and can_approve(user, result.issuer))
        out.append({"result": result, "can_change": leader[result.issuer_id] and result.state == State.VALID})
    return out
