from django.conf import settings
from django.contrib import admin
from django.urls import include, path, re_path
from django.views.static import serve

from motcua.api import api
from motcua.core.views import healthz

urlpatterns = [
    path("healthz", healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("account/", include("motcua.identity.urls")),
    path("account/", include("motcua.integrations.urls")),
    path("backoffice/index/", include("motcua.index766.urls")),
    path("backoffice/", include("motcua.backoffice.urls")),
    path("petitions/", include("motcua.petitions.urls")),
    path("", include("motcua.payments.urls")),
    path("", include("motcua.opendata.urls")),
    path("", include("motcua.results.urls")),
    # Component templates (forms to download) published with the catalog.
    re_path(r"^catalog-files/(?P<path>[A-Za-z0-9][A-Za-z0-9_.\-]*)$", serve,
            {"document_root": settings.CATALOG_FILES_DIR}, name="catalog-file"),
    path("", include("motcua.portal.urls")),
]
