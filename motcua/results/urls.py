from django.urls import path

from . import views

app_name = "results"

urlpatterns = [
    path("verify/", views.verify_page, name="verify"),
    path("verify/<str:code>/", views.verify_code, name="verify-code"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    path("my/results/", views.my_results, name="mine"),
    path("my/results/<str:code>.pdf", views.result_file, name="file"),
    path("backoffice/results/<str:code>/<str:how>/", views.change, name="change"),
]
