"""Fixtures of the outbox tests: task backends, an applicant, a status-change payload, a consumer that fails."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.db import transaction
from django_tasks import task_backends

from motcua.identity.models import User
from motcua.integrations import outbox
from motcua.integrations.consumers import DOSSIER_STATUS_CHANGED
from motcua.integrations.models import OutboxEvent

IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
DUMMY = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
DATABASE = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


@pytest.fixture
def immediate_tasks(settings: Any) -> None:
    """Tasks run in the process as soon as they are enqueued."""
    settings.TASKS = IMMEDIATE


@pytest.fixture
def dummy_tasks(settings: Any) -> Any:
    """Tasks are only recorded: returns the backend, whose `results` lists what was enqueued."""
    settings.TASKS = DUMMY
    backend = task_backends["default"]
    backend.clear()
    return backend


@pytest.fixture(autouse=True)
def _public_url(settings: Any) -> None:
    settings.MOTCUA_PUBLIC_URL = "https://dichvucong.example.vn/"


@pytest.fixture
def applicant(db: None) -> User:
    return User.objects.create_user(username="001209012345", national_id="001209012345", full_name="Nguyễn Văn An",
                                    email="an.nguyen@example.vn", password="x" * 12)


def status_payload(user: User, code: str = "000.00.00.H01-261123-0001", **changes: Any) -> dict[str, Any]:
    """A `dossier.status_changed` payload as the dossiers app emits it."""
    payload = {
        "code": code,
        "status": 2,
        "status_label": {"vi": "Đã tiếp nhận", "en": "Accepted"},
        "previous_status": 1,
        "action": "accept",
        "procedure_code": "1.010822",
        "procedure_name": {"vi": "Đăng ký nghĩa vụ quân sự lần đầu", "en": "First military service registration"},
        "applicant_id": user.pk,
        "applicant_email": user.email,
        "applicant_name": user.display_name,
        "lookup_key": "K7Q2 9XJ4",
        "due_at": "2026-11-30T03:00:00+00:00",
        "note": "",
        "at": "2026-11-23T02:00:00+00:00",
    }
    payload.update(changes)
    return payload


def emit_status_change(user: User, code: str = "000.00.00.H01-261123-0001", **changes: Any) -> OutboxEvent:
    """Emit a status change in its own transaction, as a dossier service does."""
    with transaction.atomic():
        return outbox.emit(DOSSIER_STATUS_CHANGED, code, status_payload(user, code, **changes))


class Flaky:
    """A consumer handler failing while `failures_left` > 0 (or for the keys in `fail_keys`), counting its calls."""

    def __init__(self) -> None:
        self.failures_left = 0
        self.fail_keys: set[str] = set()
        self.calls: list[int] = []

    def __call__(self, event: OutboxEvent) -> None:
        self.calls.append(event.pk)
        if event.key in self.fail_keys:
            raise ConnectionError(f"portal down for {event.key}")
        if self.failures_left > 0:
            self.failures_left -= 1
            raise ConnectionError("portal down")


@pytest.fixture
def flaky() -> Iterator[Flaky]:
    """A third consumer of dossier.status_changed, named "flaky", that fails on demand."""
    handler = Flaky()
    outbox.register("flaky", [DOSSIER_STATUS_CHANGED], handler)
    yield handler
    outbox.unregister("flaky")


@pytest.fixture
def run_on_commit(django_capture_on_commit_callbacks: Callable[..., Any]) -> Callable[..., Any]:
    """`with run_on_commit(): ...` runs the on-commit callbacks of the block (the test's transaction never commits)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture(autouse=True)
def _only_the_consumers_under_test() -> Iterator[None]:
    """These tests count the deliveries of the notification and e-mail consumers: other apps' consumers (the index
    counters) are set aside while they run."""
    others = [c for name, c in outbox.consumers().items() if name not in ("notifications", "email")]
    families = list(outbox.families().values())
    for entry in others:
        outbox.unregister(entry.name)
    for family in families:
        outbox.unregister_family(family.prefix)
    yield
    for entry in others:
        outbox.register(entry.name, entry.topics, entry.handler, atomic=entry.atomic, ordered=entry.ordered)
    for family in families:
        outbox.register_family(family.prefix, family.subscribers, family.handler, atomic=family.atomic,
                               ordered=family.ordered)
