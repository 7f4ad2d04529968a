from django.apps import AppConfig


class PetitionsConfig(AppConfig):
    name = "motcua.petitions"
    verbose_name = "Phản ánh, kiến nghị / Petitions"
    label = "petitions"

    def ready(self) -> None:
        from . import consumers  # noqa: F401 - registers the outbox consumer of petition events
