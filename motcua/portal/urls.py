from django.urls import path

from . import views

app_name = "portal"
urlpatterns = [
    path("", views.home, name="home"),
    path("procedures/", views.procedures, name="procedures"),
    path("procedures/<str:code>/", views.procedure_detail, name="procedure"),
]
