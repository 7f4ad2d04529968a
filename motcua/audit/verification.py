"""Checking the audit chain: every row's hash, the links between rows, no gap in the sequence, the head at the end."""

from __future__ import annotations

from dataclasses import dataclass

from .models import AuditEntry, AuditHead
from .services import GENESIS, chained_fields, entry_hash


@dataclass(frozen=True)
class Problem:
    seq: int
    rule: str  # "changed", "broken_link", "missing", "head"
    message: str


def verify() -> tuple[int, list[Problem]]:
    """Walk the whole chain in sequence order; return the number of rows checked and the problems found."""
    problems: list[Problem] = []
    expected_seq, prev = 1, GENESIS
    count = 0
    for entry in AuditEntry.objects.order_by("seq").iterator(chunk_size=2000):
        count += 1
        if entry.seq != expected_seq:
            problems.append(Problem(expected_seq, "missing",
                                    f"rows {expected_seq}..{entry.seq - 1} are missing (deleted)"))
        if entry.prev_hash != prev:
            problems.append(Problem(entry.seq, "broken_link", f"row {entry.seq} does not follow the row before it"))
        if entry_hash(entry.prev_hash, chained_fields(entry)) != entry.hash:
            problems.append(Problem(entry.seq, "changed", f"row {entry.seq} was changed after it was written"))
        expected_seq, prev = entry.seq + 1, entry.hash
    head = AuditHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    if head_seq != expected_seq - 1 or head_hash != prev:
        problems.append(Problem(head_seq, "head",
                                f"the chain ends at row {expected_seq - 1} but its head says row {head_seq}"))
    return count, problems
