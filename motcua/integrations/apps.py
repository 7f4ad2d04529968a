from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IntegrationsConfig(AppConfig):
    name = "motcua.integrations"
    label = "integrations"
    verbose_name = _("Integrations and outbox")

    def ready(self) -> None:
        # Registers the outbox consumers (notifications, e-mail, SMS) in every process: web, worker, commands.
        from . import consumers, sms  # noqa: F401
