from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "motcua.audit"
    label = "audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from django.contrib.admin.models import LogEntry
        from django.db.models.signals import post_save

        from . import receivers

        post_save.connect(receivers.admin_change, sender=LogEntry, dispatch_uid="audit_admin_change")
