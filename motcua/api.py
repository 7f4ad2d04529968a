"""The HTTP API at /api/v1/: one NinjaAPI, each domain app contributes a router."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext_lazy as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError

from motcua.catalog.api import router as catalog_router
from motcua.core.api_schemas import problems_from_ninja
from motcua.core.errors import DomainError, FieldError, ValidationFailed
from motcua.documents.api import router as documents_router
from motcua.documents.tus_api import router as uploads_router
from motcua.documents.warehouse_api import router as warehouse_router
from motcua.dossiers.api import router as dossiers_router
from motcua.dossiers.reports_api import router as reports_router
from motcua.identity.api import BearerAuth
from motcua.identity.api import router as identity_router
from motcua.index766.api import router as index_router
from motcua.integrations.api import router as integrations_router
from motcua.integrations.preferences_api import router as notification_settings_router
from motcua.integrations.sync_api import router as sync_router
from motcua.payments.api import router as payments_router
from motcua.petitions.api import router as petitions_router
from motcua.results.api import router as results_router
from motcua.results.inspection_api import router as digitization_report_router

api = NinjaAPI(
    title="motcua API",
    version="1",
    description=(
        "Public procedure catalog, accounts and (in later versions) dossiers of the motcua one-stop system. "
        "Errors share one shape: `{error, message, message_vi, message_en, errors: [{field, rule, message}]}`. "
        "Authenticate with `POST /api/v1/auth/token` and send `Authorization: Bearer <token>`. "
        "Answers are in Vietnamese by default; send `Accept-Language: en` for English."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
api.add_router("/", catalog_router)
api.add_router("/", identity_router)
api.add_router("/", documents_router)
api.add_router("/", uploads_router)
api.add_router("/", dossiers_router)
api.add_router("/", integrations_router)
api.add_router("/", sync_router)
api.add_router("/", results_router)
api.add_router("/", warehouse_router)
api.add_router("/", index_router)
api.add_router("/", petitions_router)
api.add_router("/", reports_router)
api.add_router("/", digitization_report_router)
api.add_router("/", payments_router)
api.add_router("/", notification_settings_router)


@api.exception_handler(DomainError)
def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    return api.create_response(request, exc.as_dict(), status=exc.status)


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    failure = ValidationFailed(_("The request is not valid."), problems_from_ninja(exc.errors))
    return api.create_response(request, failure.as_dict(), status=422)


@api.exception_handler(MultiPartParserError)
def multipart_error(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    failure = DomainError(_("The request is not valid."), [
        FieldError("body", "multipart", _("The multipart body cannot be read: send a well-formed form upload.")),
    ])
    return api.create_response(request, failure.as_dict(), status=400)


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    failure = DomainError(
        _("Authentication required: send a valid bearer token."),
        [FieldError("Authorization", "bearer_token", _("Missing, expired or revoked token."))],
    )
    failure.code = "unauthorized"
    response = api.create_response(request, failure.as_dict(), status=401)
    response["WWW-Authenticate"] = "Bearer"
    return response


__all__ = ["api", "BearerAuth"]
