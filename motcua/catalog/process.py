"""Process definitions: the steps a dossier of a procedure version goes through (data, not code).

A definition is a list of steps. Each step names the role that acts in it, the share of the time limit it may use,
and the actions allowed in it with the step each leads to (`null`: the process ends). `complete_step` may list several
next steps: the officer then picks one (`next_step`). A step may be `automatic`: its `rules` are checked against the
form data and the registry with no officer, and the system performs `on_pass` (or `on_fail`).

    {"steps": [
      {"code": "receive", "name": {"vi": "Tiếp nhận", "en": "Reception"}, "role": "onestop", "share": 0.1,
       "actions": {"accept": "appraise"}},
      {"code": "appraise", "role": "handler", "share": 0.6, "actions": {"complete_step": ["consult", "approve"]}},
      ...
      {"code": "return", "role": "onestop", "share": 0.1, "actions": {"return_result": null}}]}

Validation (when a version is imported/published): codes unique; every next step exists; the first step accepts;
some step approves; the process can always reach `return_result`; every step is reachable; no cycles unless
`"cycles_allowed": true`; shares add up to at most 1.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

STEP_ACTIONS = ("accept", "complete_step", "approve", "deny", "return_result")
ROLES = ("onestop", "handler", "leader")
RULE_OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "present")
REGISTRY_CHECKS = ("owner_identity_matches",)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class StepName(_Strict):
    vi: str = Field(min_length=1)
    en: str = ""


class Rule(_Strict):
    """A condition on the form (`field` `op` `value`) or a registry check (`check`)."""

    field: str | None = None
    op: Literal["eq", "ne", "lt", "le", "gt", "ge", "in", "present"] | None = None
    value: Any = None
    check: Literal["owner_identity_matches"] | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Rule:
        if (self.check is None) == (self.field is None or self.op is None):
            raise ValueError("a rule is either {field, op, value} or {check}")
        return self


class AutoOutcome(_Strict):
    action: Literal["accept", "complete_step", "approve", "deny", "return_result"]
    next: str | None = None
    note: str = ""


class Step(_Strict):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,49}$")
    name: StepName
    role: Literal["onestop", "handler", "leader"]
    level: Literal["ministry", "department", "district", "commune"] | None = None
    share: float = Field(ge=0, le=1)
    actions: dict[Literal["accept", "complete_step", "approve", "deny", "return_result"], str | list[str] | None]
    automatic: bool = False
    rules: list[Rule] = []
    on_pass: AutoOutcome | None = None
    on_fail: AutoOutcome | None = None

    def next_steps(self, action: str) -> list[str | None]:
        target = self.actions.get(action)
        return list(target) if isinstance(target, list) else [target]

    @model_validator(mode="after")
    def _automatic(self) -> Step:
        if self.automatic and self.on_pass is None:
            raise ValueError(f"automatic step {self.code} needs on_pass")
        for outcome in (self.on_pass, self.on_fail):
            if outcome is not None and outcome.action not in self.actions:
                raise ValueError(f"step {self.code}: automatic action {outcome.action} is not among its actions")
        return self


class Process(_Strict):
    steps: list[Step] = Field(min_length=2)
    cycles_allowed: bool = False

    def step(self, code: str) -> Step | None:
        return next((s for s in self.steps if s.code == code), None)

    @property
    def first(self) -> Step:
        return self.steps[0]

    @model_validator(mode="after")
    def _complete(self) -> Process:
        problems = process_problems(self)
        if problems:
            raise ValueError("; ".join(problems))
        return self


def process_problems(process: Process) -> list[str]:
    """Why `process` cannot run a dossier to its end; empty when it can."""
    codes = [s.code for s in process.steps]
    problems = [f"step code {c} appears more than once" for c in sorted({c for c in codes if codes.count(c) > 1})]
    edges: dict[str, set[str]] = {code: set() for code in codes}
    ends: set[str] = set()
    for step in process.steps:
        for action in step.actions:
            for target in step.next_steps(action):
                if target is None:
                    ends.add(step.code)
                elif target not in edges:
                    problems.append(f"step {step.code}: action {action} leads to unknown step {target}")
                else:
                    edges[step.code].add(target)
    if "accept" not in process.first.actions:
        problems.append("the first step must allow accept (reception)")
    if not any("approve" in s.actions for s in process.steps):
        problems.append("some step must allow approve")
    if not any("return_result" in s.actions for s in process.steps):
        problems.append("some step must allow return_result")
    if sum(s.share for s in process.steps) > 1.0001:
        problems.append("the shares of the time limit add up to more than 1")
    reachable = _reachable(process.first.code, edges)
    problems += [f"step {c} cannot be reached from {process.first.code}" for c in codes if c not in reachable]
    can_end = {c for c in codes if _reachable(c, edges) & ends}
    problems += [f"from step {c} the process can never end" for c in codes if c not in can_end]
    if not process.cycles_allowed and _has_cycle(edges):
        problems.append("the steps form a cycle (set cycles_allowed to allow it)")
    return problems


def _reachable(start: str, edges: dict[str, set[str]]) -> set[str]:
    seen, stack = set(), [start]
    while stack:
        code = stack.pop()
        if code in seen or code not in edges:
            continue
        seen.add(code)
        stack.extend(edges[code])
    return seen


def _has_cycle(edges: dict[str, set[str]]) -> bool:
    state: dict[str, int] = {}

    def visit(code: str) -> bool:
        state[code] = 1
        for target in edges.get(code, ()):
            if state.get(target) == 1 or (target not in state and visit(target)):
                return True
        state[code] = 2
        return False

    return any(code not in state and visit(code) for code in edges)


def _name(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


DEFAULT_PROCESS: dict[str, Any] = {
    "steps": [
        {"code": "receive", "name": _name("Tiếp nhận hồ sơ", "Reception"), "role": "onestop", "share": 0.1,
         "actions": {"accept": "appraise"}},
        {"code": "appraise", "name": _name("Thẩm định hồ sơ", "Appraisal"), "role": "handler", "share": 0.6,
         "actions": {"complete_step": "approve"}},
        {"code": "approve", "name": _name("Phê duyệt", "Approval"), "role": "leader", "share": 0.2,
         "actions": {"approve": "return", "deny": "return"}},
        {"code": "return", "name": _name("Trả kết quả", "Return of the result"), "role": "onestop", "share": 0.1,
         "actions": {"return_result": None}},
    ]
}


def process_of(definition: dict[str, Any] | None) -> Process:
    """The process of a procedure version: its own definition, or the default four steps."""
    return Process.model_validate(definition or DEFAULT_PROCESS)


_PUBLISHED: dict[int, Process] = {}


def process_of_version(version: Any) -> Process:
    """The process of a procedure version, parsed once per process for published versions (they never change)."""
    if version.pk is None or version.status == "draft":
        return process_of(version.process)
    process = _PUBLISHED.get(version.pk)
    if process is None:
        process = _PUBLISHED[version.pk] = process_of(version.process)
    return process
