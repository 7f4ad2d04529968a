from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class Index766Config(AppConfig):
    name = "motcua.index766"
    label = "index766"
    verbose_name = _("Service-quality index (Decision 766)")

    def ready(self) -> None:
        # Registers the outbox consumer that keeps the counters up to date, in every process.
        from . import consumers, sources  # noqa: F401
