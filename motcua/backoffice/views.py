"""Officer-facing pages. The dossier inboxes come with the dossier spine; for now: who am I, where, with what roles."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from motcua.organization.queries import active_delegations_to, roles_of


@login_required
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_staff_member:
        return render(request, "backoffice/forbidden.html", {"message": _("The back office is for staff accounts.")},
                      status=403)
    return render(request, "backoffice/home.html", {
        "roles": roles_of(request.user), "delegations": active_delegations_to(request.user),
    })
