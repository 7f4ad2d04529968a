from django.urls import path

from . import dossier_views, views, warehouse_views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("procedures/", views.procedures, name="procedures"),
    path("procedures/<str:code>/", views.procedure_detail, name="procedure"),
    # Dossiers: submit online, the applicant's own dossiers and slips, public tracking.
    path("procedures/<str:code>/submit/", dossier_views.submit, name="submit"),
    path("my/dossiers/", dossier_views.my_dossiers, name="my_dossiers"),
    path("my/dossiers/<str:code>/", dossier_views.dossier, name="dossier"),
    path("my/dossiers/<str:code>/slips/<str:kind>/", dossier_views.slip, name="slip"),
    path("track/", dossier_views.track, name="track"),
    # The applicant's electronic data warehouse.
    path("my/documents/", warehouse_views.my_documents, name="my_documents"),
    path("my/documents/<uuid:document_id>/file", warehouse_views.document_file, name="document_file"),
]
