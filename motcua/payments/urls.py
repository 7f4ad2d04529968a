from django.urls import path

from . import views

app_name = "payments"
urlpatterns = [
    path("sandbox/pay/<str:reference>/", views.sandbox, name="sandbox"),
    path("my/dossiers/<str:code>/pay/", views.start, name="start"),
    path("dossiers/<str:code>/payments/<str:reference>/", views.receipt, name="receipt"),
    path("dossiers/<str:code>/payments/<str:reference>/receipt.pdf", views.receipt_pdf, name="receipt_pdf"),
]
