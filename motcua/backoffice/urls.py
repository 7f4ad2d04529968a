from django.urls import path

from . import digitization_views, views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    # Dossiers: inboxes, search, the workspace and its slips; desk submission.
    path("inbox/<str:name>/", views.inbox, name="inbox"),
    path("search/", views.search, name="search"),
    path("dossiers/<str:code>/", views.dossier, name="dossier"),
    path("dossiers/<str:code>/slips/<str:kind>/", views.slip, name="slip"),
    path("desk/", views.desk, name="desk"),
    path("desk/<str:code>/", views.desk_submit, name="desk_submit"),
    # Digitization: bulk batches of historical records, and the inspection report.
    path("digitization/", digitization_views.digitization, name="digitization"),
    path("digitization/<int:pk>/", digitization_views.digitization_batch, name="digitization_batch"),
    path("reports/digitization/", digitization_views.digitization_report, name="digitization_report"),
]
