"""Reconciliation on a schedule (django-tasks): starting a payment queues a run for when it becomes old enough to ask
the gateway about; a run that leaves payments pending queues the next one. No cron needed with `db_worker`;
`manage.py reconcile_payments` does the same by hand or from cron."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django_tasks import task

from motcua.core import clock
from motcua.core.background import schedule_run

from . import services
from .models import Payment, PaymentStatus


@task()
def reconcile_payments() -> dict[str, int]:
    done = services.reconcile()
    if Payment.objects.filter(status=PaymentStatus.PENDING).exists():
        schedule_reconciliation()
    return {"asked": done.asked, "settled": done.settled, "expired": done.expired, "errors": done.errors}


def schedule_reconciliation() -> bool:
    """Queue a run for when payments started now are due to be asked about (at most one waits per period)."""
    return schedule_run(reconcile_payments,
                        clock.now() + timedelta(minutes=settings.MOTCUA_PAYMENT_RECONCILE_MINUTES))
