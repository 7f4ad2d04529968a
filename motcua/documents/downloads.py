"""The HTTP answer that hands a stored file to a browser or client, safely (one place for its headers)."""

from __future__ import annotations

from django.http import FileResponse

from . import services
from .models import StoredFile


def file_response(stored: StoredFile) -> FileResponse:
    """The file as an attachment with its sniffed type; never rendered inline, never cached by shared caches."""
    response = FileResponse(services.open_file(stored), as_attachment=True, filename=stored.original_name,
                            content_type=stored.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
