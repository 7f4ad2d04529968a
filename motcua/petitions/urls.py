from django.urls import path

from . import views

app_name = "petitions"
urlpatterns = [
    path("", views.published, name="list"),
    path("new/", views.new, name="new"),
    path("<str:code>/", views.detail, name="detail"),
]
