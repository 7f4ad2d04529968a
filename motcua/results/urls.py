"""Slip PDFs next to the slip pages they print: /my/dossiers/<code>/slips/<kind>.pdf (applicant) and
/backoffice/dossiers/<code>/slips/<kind>.pdf (officer). Included at the site root, before the portal."""

from django.urls import path

from . import views

app_name = "results"
urlpatterns = [
    path("my/dossiers/<str:code>/slips/<str:kind>.pdf", views.my_slip_pdf, name="slip_pdf"),
    path("backoffice/dossiers/<str:code>/slips/<str:kind>.pdf", views.office_slip_pdf, name="office_slip_pdf"),
]
