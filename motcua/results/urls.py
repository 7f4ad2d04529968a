"""Result pages: public verification and the published seal keys, the holder's results, the leaders' cancel and
replace forms, and the slip PDFs next to the slip pages they print. Included at the site root, before the portal."""

from django.urls import path

from . import views

app_name = "results"

urlpatterns = [
    path("verify/", views.verify_page, name="verify"),
    path("verify/<str:code>/", views.verify_code, name="verify-code"),
    path(".well-known/jwks.json", views.jwks, name="jwks"),
    path("my/results/", views.my_results, name="mine"),
    path("my/results/<str:code>.pdf", views.result_file, name="file"),
    path("my/dossiers/<str:code>/slips/<str:kind>.pdf", views.my_slip_pdf, name="slip_pdf"),
    path("backoffice/dossiers/<str:code>/slips/<str:kind>.pdf", views.office_slip_pdf, name="office_slip_pdf"),
    path("backoffice/results/<str:code>/<str:how>/", views.change, name="change"),
]
