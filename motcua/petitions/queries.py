"""Reads of petitions: who may see which, officers' inboxes, published answers, and the counts the service-quality
index needs (index-766.md section 2.6, indicators 5.1, 5.2, 5.3; 5.4 uses `dossiers_with_petitions`).

The index functions take a unit (its whole subtree counts, index-766.md 1.3) and a period given as two dates, both
inclusive, in Vietnam time (1.2): [start 00:00, end + 1 day 00:00). For a running period the cut-off for open items is
*now* (the clock), not the period end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Literal, get_args

from django.conf import settings
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from motcua.core import clock
from motcua.identity.models import User
from motcua.organization.models import RoleAssignment, Unit
from motcua.organization.queries import calendar_for

from .models import OPEN, Category, Petition, State
from .services import OFFICER_ROLES, is_petitioner

InboxName = Literal["new", "mine", "near_due", "overdue"]
INBOXES: tuple[str, ...] = get_args(InboxName)


# --- who sees what ------------------------------------------------------------------------------------------------

def _rows() -> QuerySet[Petition]:
    return Petition.objects.select_related("unit", "procedure", "dossier", "assigned_to")


def staff_scope(user: User) -> Q:
    """Petitions of the units (and their subtrees) where the officer holds any role."""
    paths = list(RoleAssignment.objects.filter(user=user).values_list("unit__path", flat=True).distinct())
    scope = Q(pk__in=[])
    for path in paths:
        scope |= Q(unit__path__startswith=path)
    return scope


def visible_to(user: User) -> QuerySet[Petition]:
    """Officers: the petitions of their units' subtrees; petitioners: their own."""
    if user.is_staff_member:
        return _rows().filter(staff_scope(user))
    return _rows().filter(petitioner=user)


def published() -> QuerySet[Petition]:
    """Petitions whose answer is published: public (pages list them newest first by id)."""
    return _rows().filter(state=State.PUBLISHED)


def get_for(user: User | None, code: str, key: str = "") -> tuple[Petition | None, bool]:
    """The petition with `code` as `user` (or the holder of `key`) may read it, and whether they see it in full
    (officers in scope, the petitioner) rather than as the public sees a published answer."""
    petition = _rows().filter(code=code).first()
    if petition is None:
        return None, False
    if user is not None and user.is_authenticated and user.is_staff_member \
            and visible_to(user).filter(pk=petition.pk).exists():
        return petition, True
    if is_petitioner(petition, user, key):
        return petition, True
    if petition.state == State.PUBLISHED:
        return petition, False
    return None, False


def officer_units(user: User) -> list[int]:
    return list(RoleAssignment.objects.filter(user=user, role__in=OFFICER_ROLES).values_list("unit_id", flat=True))


def near_due_days() -> int:
    return int(getattr(settings, "MOTCUA_PETITION_NEAR_DUE_DAYS", 2))


def inbox(user: User, name: str) -> QuerySet[Petition]:
    """An officer's inbox over the units where they handle petitions: `new` (to classify), `mine` (assigned to me and
    open or waiting for publication), `near_due` (open, answer due within MOTCUA_PETITION_NEAR_DUE_DAYS working
    days), `overdue` (open past the answer deadline, or answered and not published by the publication deadline)."""
    rows = _rows().filter(unit_id__in=officer_units(user))
    now = clock.now()
    if name == "new":
        return rows.filter(state=State.RECEIVED)
    if name == "mine":
        return rows.filter(assigned_to=user, state__in=[*OPEN, State.ANSWERED])
    if name == "near_due":
        horizon = calendar_for(None).add_working_days(now, near_due_days())
        return rows.filter(state__in=OPEN, answer_due_at__gte=now, answer_due_at__lte=horizon)
    if name == "overdue":
        return rows.filter(Q(state__in=OPEN, answer_due_at__lt=now)
                           | Q(state=State.ANSWERED, publish_due_at__lt=now))
    raise ValueError(f"unknown inbox {name!r}; one of {', '.join(INBOXES)}")


def history(petition: Petition) -> QuerySet:
    return petition.events.order_by("seq")


# --- counts for the service-quality index -------------------------------------------------------------------------

@dataclass(frozen=True)
class Period:
    start: datetime  # inclusive
    end: datetime  # exclusive
    cutoff: datetime  # min(end, now): the instant open items are judged at

    @classmethod
    def of(cls, start: date, end: date) -> Period:
        first = timezone.make_aware(datetime.combine(start, time.min))
        after = timezone.make_aware(datetime.combine(end + timedelta(days=1), time.min))
        return cls(first, after, min(after, clock.now()))

    def holds(self, instant: datetime | None) -> bool:
        return instant is not None and self.start <= instant < self.end


def _in_subtree(unit: Unit) -> Q:
    return Q(unit__path__startswith=unit.path)


@dataclass(frozen=True)
class CategoryCounts:
    """5.1: petitions by category. `total` is every petition of the unit sent in the period."""

    regulation: int
    staff: int
    other: int
    unclassified: int
    total: int


def category_counts(unit: Unit, start: date, end: date) -> CategoryCounts:
    """Indicator 5.1 (tracking only, no points).

    Inclusion: petitions of `unit` and its subtree whose `sent_at` (received by the system) is in the period, each
    once. `regulation` = about regulations, policies and procedures; `staff` = about staff conduct; `other` =
    classified as neither; `unclassified` = not yet classified. The rate of a category is category / total.
    """
    period = Period.of(start, end)
    rows = (Petition.objects.filter(_in_subtree(unit), sent_at__gte=period.start, sent_at__lt=period.end)
            .values("category").annotate(n=Count("pk")))
    counts = {row["category"]: row["n"] for row in rows}
    return CategoryCounts(
        regulation=counts.get(Category.REGULATION, 0), staff=counts.get(Category.STAFF, 0),
        other=counts.get(Category.OTHER, 0), unclassified=counts.get("", 0), total=sum(counts.values()),
    )


def category_codes(unit: Unit, start: date, end: date) -> tuple[list[str], list[str]]:
    """5.1's drill-down: (codes of the petitions counted, codes of those about regulations or staff), by the inclusion
    rule of `category_counts`."""
    period = Period.of(start, end)
    rows = Petition.objects.filter(_in_subtree(unit), sent_at__gte=period.start, sent_at__lt=period.end)
    every, classified = [], []
    for code, category in rows.order_by("code").values_list("code", "category"):
        every.append(code)
        if category in (Category.REGULATION, Category.STAFF):
            classified.append(code)
    return every, classified


@dataclass
class Ratio:
    """A numerator and a denominator, with the petition codes behind each (for the index's drill-down)."""

    numerator: int = 0
    denominator: int = 0
    numerator_codes: list[str] = field(default_factory=list)
    denominator_codes: list[str] = field(default_factory=list)

    def add(self, code: str, counts: bool) -> None:
        self.denominator += 1
        self.denominator_codes.append(code)
        if counts:
            self.numerator += 1
            self.numerator_codes.append(code)


def _publication_ok(p: Petition, period: Period) -> bool:
    """Published within the publication deadline; not published by the period's end: judged at the cut-off."""
    if p.published_at is not None and p.published_at < period.end:
        return bool(p.published_on_time)
    return p.publish_due_at is None or period.cutoff <= p.publish_due_at


def _handled_on_time(p: Petition, period: Period) -> bool | None:
    """5.2 for one petition: True/False when it belongs to the denominator, None when it does not."""
    if period.holds(p.refused_at):
        return bool(p.refused_on_time)
    if period.holds(p.answered_at):
        return bool(p.answered_on_time) and _publication_ok(p, period)
    closed_before_end = any(at is not None and at < period.end for at in (p.refused_at, p.answered_at))
    if closed_before_end:
        return None
    if period.holds(p.info_requested_at):  # no handling result followed the request within the period
        return bool(p.info_on_time)
    if period.holds(p.classified_at) or period.holds(p.sent_at):  # open, its handling started in the period
        return period.cutoff <= p.answer_due_at
    return None


def _candidates(unit: Unit, period: Period) -> QuerySet[Petition]:
    touched = Q()
    for name in ("sent_at", "classified_at", "info_requested_at", "refused_at", "answered_at"):
        touched |= Q(**{f"{name}__gte": period.start, f"{name}__lt": period.end})
    return Petition.objects.filter(_in_subtree(unit), touched).order_by("pk")


def on_time_counts(unit: Unit, start: date, end: date) -> Ratio:
    """Indicator 5.2 (6 points): petitions handled on time + open and within time ÷ petitions handled or being
    handled in the period. Each petition of the unit's subtree counts at most once, by the first rule that applies:

    1. refused in the period: on time if refused within MOTCUA_PETITION_REFUSE_DAYS (2) working days of the clock
       start (sent, or the latest transfer to another unit: the "transferred petition" column);
    2. answered in the period: on time if answered within MOTCUA_PETITION_ANSWER_DAYS (15) working days of the clock
       start AND the answer was published within MOTCUA_PETITION_PUBLISH_DAYS (2) working days of the answer (not
       published by the period's end: the cut-off, now for a running period, must still be within that deadline);
    3. refused or answered before the period: not counted;
    4. asked for more information in the period with no refusal or answer before the period's end: on time if the
       *first* request came within MOTCUA_PETITION_INFO_DAYS (5) working days of the clock start;
    5. still open at the period's end and received or classified in the period: within time if the cut-off is no
       later than the answer deadline (15 working days from the clock start).

    Not implemented: petitions transferred in from the Government Office (VPCP) as a separate source; our transfers
    between units restart the clock as the spec's "transferred" column says.
    """
    period = Period.of(start, end)
    ratio = Ratio()
    for petition in _candidates(unit, period):
        verdict = _handled_on_time(petition, period)
        if verdict is not None:
            ratio.add(petition.code, verdict)
    return ratio


@dataclass
class Satisfaction:
    """5.3: `received` (T), `unsatisfactory` (U), rate = (T − U) / T; and the plain answered-and-rated figures."""

    received: int = 0
    unsatisfactory: int = 0
    rated: int = 0
    satisfied: int = 0
    received_codes: list[str] = field(default_factory=list)
    unsatisfactory_codes: list[str] = field(default_factory=list)

    @property
    def numerator(self) -> int:
        return self.received - self.unsatisfactory

    @property
    def denominator(self) -> int:
        return self.received


def _late(p: Petition, period: Period) -> bool:
    """Handled late by the 5.2 rules as known at the cut-off: a missed stage, or still open past its deadline."""
    if False in (p.refused_on_time, p.info_on_time, p.answered_on_time, p.published_on_time):
        return True
    if p.state in OPEN:
        return period.cutoff > p.answer_due_at
    if p.state == State.ANSWERED and p.publish_due_at is not None:
        return period.cutoff > p.publish_due_at
    return False


def satisfaction_counts(unit: Unit, start: date, end: date) -> Satisfaction:
    """Indicator 5.3 (6 points): rate = 100 × (T − U) / T; `numerator` = T − U, `denominator` = T.

    T: petitions of the unit's subtree first received in the period; "received" is the officer's classification
    (`classified_at`, tiếp nhận): petitions refused without being received, or not yet received, are not in T. Each
    counts once.
    U: petitions of T that the petitioner rated "not satisfied", or that were handled late (5.2 rules: any stage past
    its deadline, or still open past its deadline at the cut-off), each once. The spec's third condition (a later
    petition repeating the dissatisfaction) is not recorded and not counted.
    Also given: `rated` (answered petitions of T the petitioner rated) and `satisfied` (of those, satisfied), the
    plain "satisfied vs answered-and-rated" figure.
    """
    period = Period.of(start, end)
    out = Satisfaction()
    rows = Petition.objects.filter(_in_subtree(unit), classified_at__gte=period.start, classified_at__lt=period.end)
    for p in rows.order_by("pk"):
        out.received += 1
        out.received_codes.append(p.code)
        if p.satisfied is not None:
            out.rated += 1
            out.satisfied += int(p.satisfied)
        if p.satisfied is False or _late(p, period):
            out.unsatisfactory += 1
            out.unsatisfactory_codes.append(p.code)
    return out


def dossiers_with_petitions(dossier_ids: list[int] | None = None) -> set[int]:
    """Indicator 5.4's `has_petition`: ids of dossiers (among `dossier_ids`, or all) that some petition names."""
    rows = Petition.objects.filter(dossier__isnull=False)
    if dossier_ids is not None:
        rows = rows.filter(dossier_id__in=dossier_ids)
    return set(rows.values_list("dossier_id", flat=True).distinct())
