from datetime import timedelta

import pytest
from django.core import mail
from django.core.management import call_command, get_commands
from django.db import transaction

from motcua.integrations import outbox
from motcua.integrations.consumers import DOSSIER_STATUS_CHANGED, notify_applicant
from motcua.integrations.models import DeliveryStatus, Notification, OutboxDelivery, OutboxEvent
from motcua.integrations.tasks import deliver_outbox

from .conftest import DATABASE, emit_status_change, status_payload

CODE = "000.00.00.H01-261123-0001"


class Boom(Exception):
    pass


def deliveries(event):
    return {d.consumer: d for d in OutboxDelivery.objects.filter(event=event)}


# --- producing ------------------------------------------------------------------------------------------------------

@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_raises(applicant):
    with pytest.raises(outbox.OutboxError, match=r"inside transaction\.atomic\(\)"):
        outbox.emit(DOSSIER_STATUS_CHANGED, CODE, status_payload(applicant))
    assert not OutboxEvent.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_emit_leaves_nothing_and_enqueues_nothing(applicant, dummy_tasks):
    with pytest.raises(Boom), transaction.atomic():
        outbox.emit(DOSSIER_STATUS_CHANGED, CODE, status_payload(applicant))
        raise Boom
    assert not OutboxEvent.objects.exists()
    assert not OutboxDelivery.objects.exists()
    assert dummy_tasks.results == []


@pytest.mark.django_db(transaction=True)
def test_the_task_is_enqueued_once_and_only_when_the_transaction_commits(applicant, dummy_tasks):
    with transaction.atomic():
        outbox.emit(DOSSIER_STATUS_CHANGED, CODE, status_payload(applicant))
        outbox.emit(DOSSIER_STATUS_CHANGED, "OTHER-1", status_payload(applicant, "OTHER-1"))
        assert dummy_tasks.results == []
    assert [r.task.func for r in dummy_tasks.results] == [deliver_outbox.func]
    assert OutboxEvent.objects.count() == 2
    # A savepoint rolled back takes its events with it, and the outer commit still enqueues once.
    dummy_tasks.clear()
    with transaction.atomic():
        try:
            with transaction.atomic():
                outbox.emit(DOSSIER_STATUS_CHANGED, "GONE-1", status_payload(applicant, "GONE-1"))
                raise Boom
        except Boom:
            pass
        assert dummy_tasks.results == []
        outbox.emit(DOSSIER_STATUS_CHANGED, "KEPT-1", status_payload(applicant, "KEPT-1"))
    assert len(dummy_tasks.results) == 1
    assert set(OutboxEvent.objects.values_list("key", flat=True)) == {CODE, "OTHER-1", "KEPT-1"}


def test_an_event_gets_one_pending_delivery_per_subscribed_consumer(applicant, frozen_clock, dummy_tasks):
    event = emit_status_change(applicant)
    rows = deliveries(event)
    assert set(rows) == {"notifications", "email"}
    for row in rows.values():
        assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.PENDING, 0, frozen_clock.now())
    assert event.created_at == frozen_clock.now()
    assert outbox.pending_count() == 2
    with transaction.atomic():
        unheard = outbox.emit("nobody.listens", "X", {})
    assert not OutboxDelivery.objects.filter(event=unheard).exists()


def test_emit_refuses_what_is_not_an_event(applicant):
    with transaction.atomic():
        with pytest.raises(outbox.OutboxError):
            outbox.emit("", CODE, {})
        with pytest.raises(outbox.OutboxError):
            outbox.emit(DOSSIER_STATUS_CHANGED, CODE, ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(outbox.OutboxError):
        outbox.register("again", DOSSIER_STATUS_CHANGED, lambda event: None)  # a string, not a list of topics
    with pytest.raises(outbox.OutboxError):
        outbox.register("email", [DOSSIER_STATUS_CHANGED], lambda event: None)  # the name is taken


# --- delivering -----------------------------------------------------------------------------------------------------

def test_delivery_creates_the_notification_and_sends_one_email(applicant, immediate_tasks, run_on_commit):
    with run_on_commit():
        event = emit_status_change(applicant, note="Bổ sung bản sao giấy khai sinh")
    # The immediate backend ran deliver_outbox when the transaction committed.
    assert {c: d.status for c, d in deliveries(event).items()} == {"notifications": "delivered", "email": "delivered"}
    assert all(d.attempts == 1 and d.delivered_at for d in deliveries(event).values())

    notification = Notification.objects.get()
    assert notification.user == applicant and notification.key == CODE and notification.event == event
    assert notification.title_vi == f"Hồ sơ {CODE}: Đã tiếp nhận"
    assert notification.title_en == f"Dossier {CODE}: Accepted"
    assert "Đăng ký nghĩa vụ quân sự lần đầu" in notification.body_vi
    assert "Hẹn trả kết quả: 30/11/2026 10:00" in notification.body_vi  # 03:00 UTC shown in Hanoi time
    assert "Note: Bổ sung bản sao giấy khai sinh" in notification.body_en
    assert notification.read_at is None

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["an.nguyen@example.vn"]
    assert CODE in message.subject and "Accepted" in message.subject
    link = f"https://dichvucong.example.vn/track/{CODE}?key=K7Q2+9XJ4"
    assert link in message.body
    assert message.body.index("Kính gửi Nguyễn Văn An") < message.body.index("Dear Nguyễn Văn An")


def test_nothing_is_delivered_before_a_worker_runs(applicant, dummy_tasks, run_on_commit):
    with run_on_commit():
        emit_status_change(applicant)
    assert len(dummy_tasks.results) == 1
    assert not Notification.objects.exists() and mail.outbox == []
    assert outbox.deliver_pending() == 2
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1
    assert outbox.deliver_pending() == 0
    assert outbox.pending_count() == 0


@pytest.mark.django_db(transaction=True)
def test_delivery_from_a_worker_outside_any_transaction(applicant, flaky, dummy_tasks):
    flaky.fail_keys.add(CODE)
    with transaction.atomic():
        event = outbox.emit(DOSSIER_STATUS_CHANGED, CODE, status_payload(applicant))
    assert not transaction.get_connection().in_atomic_block
    assert outbox.deliver_pending() == 3
    rows = deliveries(event)
    assert rows["email"].status == rows["notifications"].status == DeliveryStatus.DELIVERED
    assert (rows["flaky"].status, rows["flaky"].attempts) == (DeliveryStatus.PENDING, 1)
    assert len(mail.outbox) == 1 and Notification.objects.count() == 1


def test_no_email_without_an_address(applicant, dummy_tasks):
    event = emit_status_change(applicant, applicant_email="")
    outbox.deliver_pending()
    assert mail.outbox == []
    assert deliveries(event)["email"].status == DeliveryStatus.DELIVERED
    assert Notification.objects.count() == 1


def test_a_failing_consumer_is_retried_with_backoff_and_does_not_hold_back_the_others(
    applicant, flaky, frozen_clock, dummy_tasks,
):
    flaky.fail_keys.add(CODE)
    event = emit_status_change(applicant)
    assert set(deliveries(event)) == {"notifications", "email", "flaky"}
    start = frozen_clock.now()

    assert outbox.deliver_pending() == 3
    rows = deliveries(event)
    assert rows["notifications"].status == rows["email"].status == DeliveryStatus.DELIVERED
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1
    failing = rows["flaky"]
    assert (failing.status, failing.attempts) == (DeliveryStatus.PENDING, 1)
    assert failing.next_attempt_at == start + timedelta(seconds=30)
    assert f"ConnectionError: portal down for {CODE}" in failing.last_error

    # A later event is not blocked by the earlier one's failing delivery.
    later = emit_status_change(applicant, "000.00.00.H01-261123-0002")
    assert outbox.deliver_pending() == 3
    assert deliveries(later)["flaky"].status == DeliveryStatus.DELIVERED

    frozen_clock.advance(timedelta(seconds=29))
    assert outbox.deliver_pending() == 0
    frozen_clock.advance(timedelta(seconds=1))
    assert outbox.deliver_pending() == 1
    failing.refresh_from_db()
    assert (failing.status, failing.attempts) == (DeliveryStatus.PENDING, 2)
    assert failing.next_attempt_at == frozen_clock.now() + timedelta(seconds=60)

    frozen_clock.advance(timedelta(seconds=60))
    flaky.fail_keys.clear()
    assert outbox.deliver_pending() == 1
    failing.refresh_from_db()
    assert (failing.status, failing.attempts, failing.last_error) == (DeliveryStatus.DELIVERED, 3, "")
    # The other consumers ran once for each event.
    assert Notification.objects.count() == 2 and len(mail.outbox) == 2


def test_backoff_doubles_and_is_capped_at_an_hour():
    assert [outbox.backoff(n).total_seconds() for n in range(1, 9)] == [30, 60, 120, 240, 480, 960, 1920, 3600]
    assert outbox.backoff(50) == timedelta(hours=1)


def test_after_the_last_attempt_a_delivery_is_failed_until_retried(
    applicant, flaky, frozen_clock, dummy_tasks, settings,
):
    settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 3
    flaky.fail_keys.add(CODE)
    event = emit_status_change(applicant)
    for _attempt in range(3):
        outbox.deliver_pending()
        frozen_clock.advance(timedelta(hours=1))
    failing = deliveries(event)["flaky"]
    assert (failing.status, failing.attempts) == (DeliveryStatus.FAILED, 3)
    assert len(flaky.calls) == 3
    assert outbox.deliver_pending() == 0
    assert list(outbox.failed_deliveries()) == [failing]
    assert list(outbox.failed_deliveries("email")) == []
    assert outbox.pending_count() == 0

    flaky.fail_keys.clear()
    assert outbox.retry(outbox.failed_deliveries()) == 1
    failing.refresh_from_db()
    assert (failing.status, failing.attempts, failing.next_attempt_at) == (
        DeliveryStatus.PENDING, 0, frozen_clock.now())
    assert outbox.deliver_pending() == 1
    failing.refresh_from_db()
    assert failing.status == DeliveryStatus.DELIVERED


def test_a_payload_that_cannot_be_read_fails_at_once(applicant, dummy_tasks):
    with transaction.atomic():
        event = outbox.emit(DOSSIER_STATUS_CHANGED, CODE, {"code": CODE})
    outbox.deliver_pending()
    rows = deliveries(event)
    assert {r.status for r in rows.values()} == {DeliveryStatus.FAILED}
    assert all(r.attempts == 1 and "lacks" in r.last_error for r in rows.values())


def test_a_delivery_for_a_consumer_no_longer_registered_is_retried(applicant, flaky, dummy_tasks):
    event = emit_status_change(applicant)
    outbox.unregister("flaky")
    outbox.deliver_pending()
    row = deliveries(event)["flaky"]
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert "No consumer named 'flaky'" in row.last_error


def test_running_a_delivery_twice_does_not_duplicate_the_notification(applicant, frozen_clock, dummy_tasks):
    event = emit_status_change(applicant)
    outbox.deliver_pending()
    # A worker crashed after the handler and before the mark: the delivery comes round again.
    OutboxDelivery.objects.filter(event=event, consumer="notifications").update(
        status=DeliveryStatus.PENDING, next_attempt_at=frozen_clock.now())
    assert outbox.deliver_pending() == 1
    assert deliveries(event)["notifications"].status == DeliveryStatus.DELIVERED
    assert Notification.objects.count() == 1
    # The handler itself is idempotent, with or without the outbox around it.
    notify_applicant(event)
    notify_applicant(event)
    assert Notification.objects.count() == 1


def test_a_claimed_delivery_is_leased_so_another_worker_skips_it(applicant, frozen_clock, dummy_tasks):
    event = emit_status_change(applicant)
    claimed = outbox._claim(limit=10)
    assert {d.consumer for d in claimed} == {"notifications", "email"}
    assert outbox._claim(limit=10) == []  # leased for five minutes
    frozen_clock.advance(timedelta(minutes=5))
    assert len(outbox._claim(limit=10)) == 2  # the lease ran out: the worker is presumed dead
    assert all((d.status, d.attempts) == (DeliveryStatus.PENDING, 2) for d in deliveries(event).values())


def test_a_delivery_whose_runs_never_finish_is_failed(applicant, frozen_clock, dummy_tasks, settings):
    settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 2
    event = emit_status_change(applicant)
    for _crash in range(2):  # claimed, then the worker died before settling it
        outbox._claim(limit=10)
        frozen_clock.advance(timedelta(minutes=5))
    assert outbox.deliver_pending() == 2
    rows = deliveries(event)
    assert {(r.status, r.attempts) for r in rows.values()} == {(DeliveryStatus.FAILED, 3)}
    assert "none finished" in rows["email"].last_error
    assert mail.outbox == [] and not Notification.objects.exists()


# --- the task, the commands, the worker ----------------------------------------------------------------------------

def test_the_task_delivers_everything_due_and_schedules_the_retries(applicant, flaky, frozen_clock, dummy_tasks):
    flaky.fail_keys.add(CODE)
    for number in range(3):
        emit_status_change(applicant, CODE if number == 0 else f"OTHER-{number}")
    dummy_tasks.clear()
    assert deliver_outbox.call() == 9
    assert Notification.objects.count() == 3
    # The database and dummy backends can defer: one run is scheduled for the retry, one for the leases' end.
    guard, follow_up = dummy_tasks.results
    assert follow_up.task.func is guard.task.func is deliver_outbox.func
    assert follow_up.task.run_after == frozen_clock.now() + timedelta(seconds=30)
    assert guard.task.run_after == frozen_clock.now() + timedelta(minutes=5)


def test_the_deliver_outbox_command(applicant, dummy_tasks):
    emit_status_change(applicant)
    call_command("deliver_outbox", stdout=open("/dev/null", "w"))
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1
    assert outbox.pending_count() == 0


def test_the_retry_failed_command(applicant, flaky, dummy_tasks, settings):
    settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 1
    flaky.failures_left = 1
    event = emit_status_change(applicant)
    outbox.deliver_pending()
    assert deliveries(event)["flaky"].status == DeliveryStatus.FAILED
    call_command("retry_failed", consumer="flaky", stdout=open("/dev/null", "w"))
    call_command("deliver_outbox", stdout=open("/dev/null", "w"))
    assert deliveries(event)["flaky"].status == DeliveryStatus.DELIVERED


# Not inside a test transaction: the worker closes its connection between tasks (close_old_connections).
@pytest.mark.django_db(transaction=True)
def test_db_worker_runs_the_delivery_task(applicant, settings):
    from django_tasks_db.models import DBTaskResult

    assert "db_worker" in get_commands()
    settings.TASKS = DATABASE
    emit_status_change(applicant)
    queued = DBTaskResult.objects.get()
    assert queued.task_path == "motcua.integrations.tasks.deliver_outbox"
    assert not Notification.objects.exists()
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)
    queued.refresh_from_db()
    assert queued.status == "SUCCESSFUL"
    assert Notification.objects.count() == 1 and len(mail.outbox) == 1


def test_the_database_backend_gets_one_deferred_run_for_the_retries(applicant, flaky, frozen_clock, settings):
    from django_tasks_db.models import DBTaskResult

    from motcua.integrations.tasks import schedule_follow_up

    settings.TASKS = DATABASE
    flaky.fail_keys.add(CODE)
    emit_status_change(applicant)  # in the test's transaction: no on-commit enqueue
    outbox.deliver_pending()
    assert schedule_follow_up() is True
    assert schedule_follow_up() is False  # already waiting in the queue
    queued = DBTaskResult.objects.get()
    assert queued.run_after == frozen_clock.now() + timedelta(seconds=30)
    assert queued.task_path == "motcua.integrations.tasks.deliver_outbox"


class WorkerKilled(BaseException):
    """What SIGKILL does to a run: it stops there, nothing after it runs (no except Exception catches it)."""


def test_a_run_killed_half_way_leaves_a_run_queued_for_when_its_leases_end(applicant, frozen_clock, settings,
                                                                             monkeypatch):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = DATABASE
    event = emit_status_change(applicant)  # in the test's transaction: no on-commit enqueue

    def killed(delivery):
        raise WorkerKilled

    with monkeypatch.context() as patched:
        patched.setattr(outbox, "_run", killed)
        with pytest.raises(WorkerKilled):
            deliver_outbox.call()  # claimed (leased) both deliveries, then died
    assert outbox.deliver_pending() == 0  # leased to the dead run
    [queued] = DBTaskResult.objects.filter(status="READY")
    assert queued.run_after == frozen_clock.now() + timedelta(minutes=5)
    frozen_clock.advance(timedelta(minutes=5))
    queued.delete()  # taken by a worker, which runs it:
    assert deliver_outbox.call() == 2
    assert {d.status for d in deliveries(event).values()} == {DeliveryStatus.DELIVERED}
    # One queued run per lease period, however many runs start in it.
    frozen_clock.advance(timedelta(seconds=10))
    deliver_outbox.call()
    [queued] = DBTaskResult.objects.filter(status="READY")
    assert queued.run_after == frozen_clock.now() - timedelta(seconds=10) + timedelta(minutes=5)
