from django.urls import path

from . import views

app_name = "backoffice"
urlpatterns = [
    path("", views.home, name="home"),
    # Dossiers: inboxes, search, the workspace and its slips; desk submission.
    path("inbox/<str:name>/", views.inbox, name="inbox"),
    path("search/", views.search, name="search"),
    path("dossiers/<str:code>/", views.dossier, name="dossier"),
    path("dossiers/<str:code>/slips/<str:kind>/", views.slip, name="slip"),
    path("dossiers/<str:code>/digitize/", views.digitize, name="digitize"),
    path("desk/", views.desk, name="desk"),
    path("desk/<str:code>/", views.desk_submit, name="desk_submit"),
]
