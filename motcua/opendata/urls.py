from django.urls import path, re_path

from . import views

app_name = "opendata"
urlpatterns = [
    # CKAN's action API, with and without the version (ckanapi calls /api/action/<name>); no redirects.
    re_path(r"^api/(?:3/)?action/(?P<name>[^/]+)$", views.action, name="action"),
    path("api/3/openapi.json", views.openapi, name="openapi"),
    path("catalog.ttl", views.catalog_turtle, name="catalog-ttl"),
    path("catalog.jsonld", views.catalog_jsonld, name="catalog-jsonld"),
    path("data/", views.dataset_list, name="list"),
    path("data/<slug:name>/", views.dataset_detail, name="detail"),
    re_path(r"^data/(?P<name>[-\w]+)/(?P<file>[-\w]+)\.(?P<extension>csv|json)$", views.download, name="download"),
]
