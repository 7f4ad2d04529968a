"""The catalog exchange format (`motcua.catalog/1`): what `import_catalog` reads and `export_catalog` writes.

docs/catalog-format.md describes it for people; these models are the rules. Every record is validated before anything
is written, and every broken rule is reported with the record's path (e.g. `procedures[3] (1.013133).fees[0].amount`).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from .process import Process

FORMAT = "motcua.catalog/1"
PROCEDURE_CODE = re.compile(r"^\d\.\d{6}$|^[A-Z0-9][A-Z0-9.\-]{2,29}$")
COMPONENT_CODE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,49}$")
FIELD_CODE = re.compile(r"^[A-Z0-9_]{2,30}$")
TEMPLATE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,200}$")

NonEmpty = Annotated[str, Field(min_length=1)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Text(Strict):
    """A text in Vietnamese (required) and English (optional; Vietnamese is shown where it is missing)."""

    vi: NonEmpty
    en: str = ""


class OptionalText(Strict):
    vi: str = ""
    en: str = ""


class FieldIn(Strict):
    code: str
    name: Text
    illustrative: bool = False

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not FIELD_CODE.match(value):
            raise ValueError("field code must be 2-30 upper-case letters, digits or _")
        return value


class TimeLimitIn(Strict):
    value: Decimal = Field(ge=0, le=100000, max_digits=8, decimal_places=2)
    unit: Literal["working_days", "working_hours", "days", "months"]
    note: OptionalText = OptionalText()


class FeeIn(Strict):
    kind: Literal["fee", "charge"] = "fee"
    name: Text
    amount: int = Field(ge=0, le=10**12, description="VND, whole dong")
    payer: OptionalText = OptionalText()


class LegalBasisIn(Strict):
    number: NonEmpty
    title: Text
    issued_on: date | None = None
    effective_from: date | None = None
    effective_to: date | None = None

    @model_validator(mode="after")
    def _range(self) -> LegalBasisIn:
        if self.effective_from and self.effective_to and self.effective_to < self.effective_from:
            raise ValueError("effective_to must not be before effective_from")
        return self


DOCUMENT_TYPE_CODE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,79}$")


def _document_type_code(value: str) -> str:
    if not DOCUMENT_TYPE_CODE.match(value):
        raise ValueError("document type code must be lower-case letters, digits, _ or -, at most 80")
    return value


class DocumentTypeIn(Strict):
    code: str
    name: Text

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        return _document_type_code(value)


class ComponentIn(Strict):
    code: str
    name: Text
    required: bool = True
    copies: str = "1"
    template: str = ""
    must_digitize: bool = False
    document_types: list[str] = []
    content_types: list[str] = []

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not COMPONENT_CODE.match(value):
            raise ValueError("component code must be lower-case letters, digits, _ or -, at most 50")
        return value

    @field_validator("document_types")
    @classmethod
    def _document_types(cls, value: list[str]) -> list[str]:
        return [_document_type_code(code) for code in value]

    @field_validator("template")
    @classmethod
    def _template(cls, value: str) -> str:
        if value and not TEMPLATE_NAME.match(value):
            raise ValueError("template must be a plain file name (no folders)")
        return value


class ResultIn(Strict):
    type: Text
    paper_required: bool = False
    document_type: str = ""

    @field_validator("document_type")
    @classmethod
    def _document_type(cls, value: str) -> str:
        return _document_type_code(value) if value else value


class ProcedureIn(Strict):
    code: str
    status: Literal["draft", "published", "abolished"] = "published"
    name: Text
    field: str
    levels: list[Literal["ministry", "department", "district", "commune"]] = Field(min_length=1)
    subjects: list[Literal["citizen", "enterprise", "agency", "foreigner"]] = Field(min_length=1)
    channels: list[Literal[1, 2, 3]] = Field(min_length=1)
    online_level: Literal["full", "partial", "none"]
    time_limit: TimeLimitIn
    agency: Text
    steps: Text
    method: OptionalText = OptionalText()
    requirements: OptionalText = OptionalText()
    result: ResultIn
    fees: list[FeeIn] = []
    legal_basis: list[LegalBasisIn] = Field(min_length=1)
    form_schema: dict[str, Any]
    components: list[ComponentIn] = []
    process: Process | None = None

    @field_validator("code")
    @classmethod
    def _code(cls, value: str) -> str:
        if not PROCEDURE_CODE.match(value):
            raise ValueError("procedure code must look like 1.013133 (or upper-case letters, digits, . and -)")
        return value

    @field_validator("form_schema")
    @classmethod
    def _form_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        from .forms_schema import schema_problems

        problems = schema_problems(value)
        if problems:
            raise ValueError("; ".join(problems))
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ProcedureIn:
        codes = [c.code for c in self.components]
        duplicates = sorted({c for c in codes if codes.count(c) > 1})
        if duplicates:
            raise ValueError(f"component codes must be unique, repeated: {', '.join(duplicates)}")
        if self.online_level != "none" and 2 not in self.channels:
            raise ValueError("a procedure offered online must list channel 2 (online)")
        return self


class AnnouncementItemIn(Strict):
    procedure: str
    action: Literal["add", "amend", "abolish"]


class AnnouncementIn(Strict):
    decision_number: NonEmpty
    decision_date: date
    issuer: OptionalText = OptionalText()
    title: OptionalText = OptionalText()
    effective_date: date | None = None
    published_at: datetime
    items: list[AnnouncementItemIn] = Field(min_length=1)


class CatalogIn(Strict):
    format: Literal["motcua.catalog/1"]
    note: str = ""
    document_types: list[DocumentTypeIn] = []
    fields: list[FieldIn]
    procedures: list[ProcedureIn]
    announcements: list[AnnouncementIn] = []
