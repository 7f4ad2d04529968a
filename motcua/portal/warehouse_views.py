"""The applicant's "My documents": their electronic data warehouse, each document's file (a logged download) and
the access log. Thin: documents.queries reads, documents.warehouse logs."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from motcua.core import clock
from motcua.documents import queries, warehouse
from motcua.documents.downloads import file_response
from motcua.documents.models import AccessPurpose


@login_required
def my_documents(request: HttpRequest) -> HttpResponse:
    if request.user.is_staff_member:
        return redirect("backoffice:home")
    today = clock.today()
    documents = [{"document": d, "still_valid": d.is_valid_on(today)}
                 for d in queries.warehouse_of(request.user)[:300]]
    return render(request, "portal/documents/mine.html", {
        "documents": documents, "accesses": queries.accesses_of(request.user, limit=50)})


@login_required
def document_file(request: HttpRequest, document_id: str) -> HttpResponse:
    document = queries.warehouse_document(request.user, document_id)
    if document is None:
        raise Http404
    warehouse.record_access(document, request.user, AccessPurpose.DOWNLOAD)
    return file_response(document.file)
