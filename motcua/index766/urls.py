from django.urls import path

from . import views

app_name = "index766"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("indicators/<str:indicator_id>/", views.drill_down, name="items"),
    path("scorecard.csv", views.export_csv, name="csv"),
    path("scorecard.xlsx", views.export_xlsx, name="xlsx"),
]
