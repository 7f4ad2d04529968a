"""The HTTP answer that hands a stored file to a browser or client, safely (one place for its headers)."""

from __future__ import annotations

from django.http import FileResponse
from django.utils.translation import gettext_lazy as _

from motcua.core.errors import FieldError, NotFound

from . import queries, services
from .models import StoredFile


def file_response(stored: StoredFile) -> FileResponse:
    """The file as an attachment with its sniffed type; never rendered inline, never cached by shared caches."""
    response = FileResponse(services.open_file(stored), as_attachment=True, filename=stored.original_name,
                            content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def derived_or_404(stored: StoredFile, kind: str) -> StoredFile:
    """The archive copy (`kind` "archive") or thumbnail ("thumbnail") of a file, or 404 naming `kind` while the file
    is not digitized."""
    derived = queries.derived_file(stored, kind)
    if derived is None:
        raise NotFound(_("The file is not digitized (yet)."),
                       [FieldError(kind, "digitized", _("Wait until its digitization is done."))])
    return derived
