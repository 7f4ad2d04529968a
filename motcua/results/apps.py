from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResultsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "motcua.results"
    label = "results"
    verbose_name = _("Electronic results")

    def ready(self) -> None:
        from motcua.dossiers.actions import on_approval

        from .services import issue_on_approval

        on_approval("results.issue", issue_on_approval)
