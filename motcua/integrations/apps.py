from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "motcua.integrations"
    label = "integrations"
    verbose_name = _("Integrations and outbox")

    def ready(self) -> None:
        # Registers the outbox consumers (notifications, e-mail, SMS) in every process: web, worker, commands.
        # Also the national portal sync and the webhooks (ordered consumers of dossier events).
        from . import consumers, national, sms, webhooks  # noqa: F401
