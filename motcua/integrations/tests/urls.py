"""The project's URLs with the notifications pages at /account/, as motcua/urls.py includes them."""

from django.urls import include, path

from motcua import urls as root

urlpatterns = list(root.urlpatterns)
if not any(getattr(pattern, "namespace", None) == "integrations" for pattern in urlpatterns):
    urlpatterns.insert(0, path("account/", include("motcua.integrations.urls")))
