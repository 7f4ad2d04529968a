"""The portal's "Notification settings" page: channels on or off, SMS language. Thin: preferences.py writes."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from . import preferences


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        language = request.POST.get("language", "vi")
        preferences.update(request.user, {
            **{channel: request.POST.get(channel) == "on" for channel in preferences.CHANNELS},
            "language": language if language in preferences.LANGUAGES else "vi",
        })
        messages.success(request, _("Your notification settings are saved."))
        return redirect("integrations:notification_settings")
    return render(request, "integrations/notification_settings.html", {
        "preference": preferences.of(request.user), "phone": request.user.phone,
    })
