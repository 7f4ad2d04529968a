"""E-forms as HTML, and the submission wizard shared by the citizen's page and the officer's desk.

An e-form is a JSON Schema object (catalog/forms_schema.py). `eform_fields` turns its properties into field
descriptions the template `portal/dossiers/_eform.html` renders (label in the active language, input type, the
constraints as HTML attributes, the value and the errors); `parse_eform` turns the POSTed strings back into JSON
types. Nothing here validates: the rules live in `dossiers.rules.form_errors` and the services; this module only
places their `FieldError`s next to the fields they name.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.forms.utils import flatatt
from django.http import HttpRequest, QueryDict
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from motcua.catalog.models import Component, ProcedureVersion
from motcua.core import clock
from motcua.core.errors import Conflict, DomainError, FieldError
from motcua.documents import queries as document_queries
from motcua.documents import services as document_services
from motcua.dossiers import rules, services
from motcua.dossiers.models import ACTIVE, PAUSED, Channel, Dossier

FORM_PREFIX = "form."
COMPONENT_PREFIX = "comp."
KEEP_PREFIX = "keep."
REUSE_PREFIX = "reuse."
OWNER_KEYS = ("name", "id_number", "address", "phone", "email")

# Short names of the file types components accept, for the hint next to a file input.
TYPE_NAMES = {
    "application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG", "image/tiff": "TIFF",
    "application/zip": "ZIP", "application/xml": "XML", "text/xml": "XML",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "DOCX",
    "application/msword": "DOC",
}


# --- the e-form ---------------------------------------------------------------------------------------------------

@dataclass
class EField:
    """One e-form property ready for the template."""

    name: str
    html_name: str
    id: str
    label: str
    kind: str  # text, date, email, number, checkbox, select, textarea
    required: bool
    help: str = ""
    value: Any = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    attrs: SafeString = SafeString("")


def field_id(name: str) -> str:
    """The HTML id of a form property, component or owner field: "form.ho_ten" -> "id_form-ho_ten"."""
    return "id_" + re.sub(r"[^A-Za-z0-9_-]", "-", name)


def _lang_text(prop: dict[str, Any], key: str, english_key: str, lang: str) -> str:
    english = prop.get(english_key) or ""
    return english if lang == "en" and english else str(prop.get(key) or "")


def property_label(prop: dict[str, Any], name: str, lang: str) -> str:
    return _lang_text(prop, "title", "x-title-en", lang) or name


def enum_label(prop: dict[str, Any], value: Any, lang: str) -> str:
    labels = prop.get("x-enum-labels") or {}
    label = labels.get(str(value)) if isinstance(labels, dict) else None
    if isinstance(label, dict):
        return str((label.get("en") if lang == "en" else "") or label.get("vi") or value)
    return str(value)


def _kind(prop: dict[str, Any]) -> str:
    if "enum" in prop:
        return "select"
    kind = prop.get("type")
    if kind == "boolean":
        return "checkbox"
    if kind in ("integer", "number"):
        return "number"
    if prop.get("x-widget") == "textarea":
        return "textarea"
    if prop.get("format") in ("date", "email"):
        return str(prop["format"])
    return "text"


def _shown(value: Any) -> Any:
    """A JSON value as an input's value (numbers without a trailing .0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def eform_fields(schema: dict[str, Any], values: dict[str, Any] | None, errors: dict[str, list[str]] | None,
                 lang: str, prefix: str = FORM_PREFIX) -> list[EField]:
    """The fields of the e-form `schema` with `values` filled in and the errors keyed "form.<property>"."""
    values = values or {}
    errors = errors or {}
    required = set(schema.get("required") or [])
    fields = []
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        html_name = prefix + name
        item = EField(name=name, html_name=html_name, id=field_id(html_name), label=property_label(prop, name, lang),
                      kind=_kind(prop), required=name in required,
                      help=_lang_text(prop, "description", "x-description-en", lang),
                      value=_shown(values.get(name)), errors=list(errors.get(f"form.{name}", [])))
        if item.kind == "select":
            item.choices = [(str(v), enum_label(prop, v, lang)) for v in prop.get("enum") or []]
        item.attrs = _attrs(item, prop)
        fields.append(item)
    return fields


def _attrs(item: EField, prop: dict[str, Any]) -> SafeString:
    attrs: dict[str, Any] = {"name": item.html_name, "id": item.id}
    # A required checkbox would have to be ticked: "required" there means answered, and unticked is an answer.
    if item.required and item.kind != "checkbox":
        attrs["required"] = True
    if item.kind in ("text", "textarea", "email"):
        if isinstance(prop.get("maxLength"), int):
            attrs["maxlength"] = prop["maxLength"]
        if isinstance(prop.get("minLength"), int):
            attrs["minlength"] = prop["minLength"]
    if item.kind in ("text", "email") and isinstance(prop.get("pattern"), str):
        attrs["pattern"] = prop["pattern"]
    if item.kind == "number":
        attrs["step"] = "1" if prop.get("type") == "integer" else "any"
        attrs["inputmode"] = "numeric" if prop.get("type") == "integer" else "decimal"
        for key in ("minimum", "maximum"):
            if isinstance(prop.get(key), int | float) and not isinstance(prop.get(key), bool):
                attrs[key[:3]] = _shown(prop[key])
    if item.kind == "textarea":
        attrs["rows"] = 4
    described = [f"{item.id}-help"] if item.help else []
    if item.errors:
        described.append(f"{item.id}-error")
        attrs["aria-invalid"] = "true"
    if described:
        attrs["aria-describedby"] = " ".join(described)
    return flatatt(attrs)


def _convert(prop: dict[str, Any], raw: str) -> Any:
    """A posted string as the property's JSON type; a value that does not convert stays a string, so the schema
    check reports it as the wrong type rather than this code guessing."""
    kind = prop.get("type")
    if kind == "integer":
        try:
            return int(raw)
        except ValueError:
            try:
                number = float(raw.replace(",", "."))
            except ValueError:
                return raw
            return int(number) if number.is_integer() else raw
    if kind == "number":
        try:
            number = float(raw.replace(",", "."))
        except ValueError:
            return raw
        return int(number) if number.is_integer() and "." not in raw and "," not in raw else number
    return raw


def parse_eform(schema: dict[str, Any], data: QueryDict | dict[str, Any], prefix: str = FORM_PREFIX
                ) -> dict[str, Any]:
    """The posted values of the e-form as JSON: numbers converted, checkboxes as booleans, empty optional values
    omitted (a required empty one too: the schema check then names it as missing)."""
    required = set(schema.get("required") or [])
    form: dict[str, Any] = {}
    for name, prop in (schema.get("properties") or {}).items():
        if not isinstance(prop, dict):
            continue
        key = prefix + name
        if prop.get("type") == "boolean":
            ticked = str(data.get(key, "")).lower() in ("on", "true", "1", "yes")
            if ticked or name in required:
                form[name] = ticked
            continue
        raw = str(data.get(key, "") or "").strip()
        if raw == "":
            continue
        form[name] = _convert(prop, raw)
    return form


def form_rows(schema: dict[str, Any], data: dict[str, Any], lang: str) -> list[tuple[str, str]]:
    """(label, shown value) of each answer, in the schema's order; answers the schema does not know come last."""
    properties = schema.get("properties") or {}
    rows = []
    for name, prop in properties.items():
        if name not in data or not isinstance(prop, dict):
            continue
        rows.append((property_label(prop, name, lang), display_value(prop, data[name], lang)))
    rows += [(name, str(value)) for name, value in data.items() if name not in properties]
    return rows


def display_value(prop: dict[str, Any], value: Any, lang: str) -> str:
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if "enum" in prop:
        return enum_label(prop, value, lang)
    if prop.get("format") == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    return str(_shown(value))


# --- a dossier as the pages show it -------------------------------------------------------------------------------

def is_late(dossier: Dossier) -> bool:
    """Finished late, or still running past its due date."""
    if dossier.late is not None:
        return bool(dossier.late)
    return dossier.status in ACTIVE - PAUSED and dossier.due_at is not None and dossier.due_at < clock.now()


def dossier_components(dossier: Dossier, lang: str) -> list[dict[str, Any]]:
    """Every component of the dossier's version with the files given for it (all revisions) and their download
    links (served to whoever may see the dossier)."""
    files: dict[str, list[dict[str, Any]]] = {}
    attached = list(dossier.files.select_related("file").order_by("revision", "id"))
    digitizations = document_queries.digitizations_of(item.file_id for item in attached)
    for item in attached:
        url = f"/api/v1/dossiers/{dossier.code}/files/{item.file.id}"
        files.setdefault(item.component_code, []).append({
            "id": str(item.file.id), "name": item.file.original_name, "size": item.file.size,
            "content_type": item.file.content_type, "revision": item.revision, "url": url,
            "digitization": document_queries.digitization_info(digitizations.get(item.file_id))})
    digitized = set(dossier.digitized_components.values_list("component_code", flat=True))
    rows = [{"code": c.code, "name": component_name(c, lang), "required": c.required,
             "files": files.pop(c.code, []), "digitized": c.code in digitized}
            for c in dossier.version.components.all()]
    rows += [{"code": code, "name": code, "required": False, "files": given, "digitized": code in digitized}
             for code, given in files.items()]
    return rows


# --- errors -------------------------------------------------------------------------------------------------------

_INDEXED = re.compile(r"^components\[(\d+)\]")


def error_key(error_field: str, component_codes: list[str] | None = None) -> str:
    """Where on the page an error goes: "form.<prop>", "components.<code>", "owner.<key>", "unit", "channel",
    an action's own field name, or "" (the whole form). `components[i]...` name the i-th component sent."""
    match = _INDEXED.match(error_field)
    if match:
        index = int(match.group(1))
        codes = component_codes or []
        return f"components.{codes[index]}" if index < len(codes) else ""
    if error_field == "owner":
        return "owner.name"
    if error_field in ("procedure", "Idempotency-Key", "status", "action", "code"):
        return ""
    return error_field


def errors_by_key(errors: list[FieldError], component_codes: list[str] | None = None) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for error in errors:
        out.setdefault(error_key(error.field, component_codes), []).append(str(error.message))
    return out


def error_summary(errors: dict[str, list[str]], labels: dict[str, str]) -> list[dict[str, str]]:
    """The error summary at the top of a form: each message with a link to its field (when the page has one)."""
    items = []
    for key, messages in errors.items():
        for message in messages:
            label = labels.get(key, "")
            items.append({"href": f"#{field_id(key)}" if key and label else "",
                          "text": f"{label}: {message}" if label else message})
    return items


# --- components ---------------------------------------------------------------------------------------------------

@dataclass
class ComponentField:
    code: str
    html_name: str
    id: str
    name: str
    required: bool
    accept: str
    types: str
    template: str
    kept: list[Any] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    highlight: bool = False
    # Still-valid documents of the applicant's warehouse this component accepts, and those ticked for reuse.
    offers: list[Any] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)


def component_fields(version: ProcedureVersion, errors: dict[str, list[str]], lang: str,
                     kept: dict[str, list[Any]] | None = None, *, enforce_required: bool = True,
                     highlight: set[str] | None = None, offers: dict[str, list[Any]] | None = None,
                     reused: dict[str, list[str]] | None = None) -> list[ComponentField]:
    kept, offers, reused = kept or {}, offers or {}, reused or {}
    out = []
    for component in version.components.all():
        types = list(component.accepted_content_types or [])
        html_name = COMPONENT_PREFIX + component.code
        out.append(ComponentField(
            code=component.code, html_name=html_name, id=field_id(f"components.{component.code}"),
            name=component.name_en if lang == "en" and component.name_en else component.name_vi,
            required=component.required and enforce_required, accept=",".join(types),
            types=", ".join(dict.fromkeys(TYPE_NAMES.get(t, t) for t in types)), template=component.template,
            kept=kept.get(component.code, []), errors=errors.get(f"components.{component.code}", []),
            highlight=component.code in (highlight or set()), offers=offers.get(component.code, []),
            reused=reused.get(component.code, []),
        ))
    return out


def component_name(component: Component, lang: str) -> str:
    return component.name_en if lang == "en" and component.name_en else component.name_vi


@dataclass
class Uploads:
    """The files a wizard POST gave per component: stored now, or kept from an earlier attempt."""

    components: list[dict[str, Any]]  # [{"code", "files": [ids], "warehouse_documents": [ids]}], the order
    # services' errors index into
    kept: dict[str, list[Any]]  # code -> StoredFile, to show and to send again on a re-rendered page
    errors: list[FieldError]
    reused: dict[str, list[str]] = field(default_factory=dict)  # code -> ids of warehouse documents ticked

    @property
    def codes(self) -> list[str]:
        return [item["code"] for item in self.components]


def store_uploads(request: HttpRequest, version: ProcedureVersion) -> Uploads:
    """Store every file posted for a component (`comp.<code>`, several allowed) as the requesting user's, take
    back the ids of files stored on an earlier attempt (`keep.<code>`, only files the user owns), and the warehouse
    documents ticked for reuse (`reuse.<code>`, checked by the service).

    A file that fails the upload checks is reported under `components.<code>`. Files stored before another error
    stop the submission stay in the user's storage unattached: harmless, and offered again on the re-rendered page.
    """
    user = request.user
    components: list[dict[str, Any]] = []
    kept: dict[str, list[Any]] = {}
    reused: dict[str, list[str]] = {}
    errors: list[FieldError] = []
    for component in version.components.all():
        files = []
        for file_id in request.POST.getlist(KEEP_PREFIX + component.code)[:50]:
            stored = _own_file(user, file_id)
            if stored is not None:
                files.append(stored)
        for upload in request.FILES.getlist(COMPONENT_PREFIX + component.code)[:50]:
            try:
                files.append(document_services.store_upload(user, upload,
                                                            accept=component.accepted_content_types or None))
            except DomainError as exc:  # a broken rule (422), or the antivirus not answering (503)
                messages = [str(e.message) for e in exc.errors] or [str(exc.message)]
                for message in messages:
                    errors.append(FieldError(f"components.{component.code}", "upload",
                                             f"{upload.name}: {message}"))
        ticked = [str(v)[:40] for v in request.POST.getlist(REUSE_PREFIX + component.code)[:50] if v]
        if files:
            kept[component.code] = files
        if ticked:
            reused[component.code] = ticked
        if files or ticked:
            entry: dict[str, Any] = {"code": component.code, "files": [str(f.id) for f in files]}
            if ticked:
                entry["warehouse_documents"] = ticked
            components.append(entry)
    return Uploads(components=components, kept=kept, errors=errors, reused=reused)


def _own_file(user: Any, file_id: str) -> Any:
    if not re.fullmatch(r"[0-9a-fA-F-]{32,36}", file_id or ""):
        return None
    return document_queries.file_for(user, file_id)


def missing_components(version: ProcedureVersion, uploads: Uploads) -> list[FieldError]:
    """Required components with no file: what the service would say, for a page stopped early by upload errors."""
    given = set(uploads.codes) | {e.field.removeprefix("components.") for e in uploads.errors}
    return [FieldError(f"components.{c.code}", "required", _("This component is required."))
            for c in version.components.all() if c.required and c.code not in given]


def owner_from_post(data: QueryDict) -> dict[str, str]:
    return {key: str(data.get(f"owner.{key}", "")).strip()[:500] for key in OWNER_KEYS}


def owner_inputs(owner: dict[str, str], errors: dict[str, list[str]], *, required: bool) -> list[dict[str, Any]]:
    """The owner's fields for the template: name and ID number required at the desk."""
    specs = [("name", _("Full name or organization name"), "text", "name", 255),
             ("id_number", _("ID number or tax code"), "text", "off", 20),
             ("address", _("Address"), "text", "street-address", 500),
             ("phone", _("Phone"), "tel", "tel", 20),
             ("email", _("E-mail"), "email", "email", 254)]
    return [{"key": key, "name": f"owner.{key}", "id": field_id(f"owner.{key}"), "label": label, "type": kind,
             "autocomplete": "off" if required else autocomplete, "maxlength": limit, "value": owner.get(key, ""),
             "errors": errors.get(f"owner.{key}", []), "required": required and key in ("name", "id_number")}
            for key, label, kind, autocomplete, limit in specs]


def new_token() -> str:
    """A random token a form carries so a double-clicked submission files one dossier (the Idempotency-Key)."""
    return secrets.token_urlsafe(18)


def posted_token(data: QueryDict) -> str:
    token = str(data.get("idempotency_key", ""))
    return token if re.fullmatch(r"[A-Za-z0-9_-]{16,64}", token) else new_token()


# --- the submission wizard (citizen online, officer at the desk) ---------------------------------------------------

@dataclass
class Wizard:
    """What the wizard page shows: the procedure, fields with values and errors, and the outcome of a POST."""

    procedure: Any
    version: ProcedureVersion
    desk: bool
    lang: str
    token: str = field(default_factory=new_token)
    form: dict[str, Any] = field(default_factory=dict)
    owner: dict[str, str] = field(default_factory=dict)
    unit: str = ""
    channel: int = 2
    uploads: Uploads | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    status: int = 200
    dossier: Any = None
    created: bool = False
    user: Any = None  # the applicant submitting online: their warehouse is offered per component

    def context(self, unit_choices: list[tuple[str, str]], *, unit_free_text: bool = False) -> dict[str, Any]:
        fields = eform_fields(self.version.form_schema, self.form, self.errors, self.lang)
        offers = document_queries.offers(self.user, self.version.components.all()) \
            if self.user is not None and not self.desk else {}
        components = component_fields(self.version, self.errors, self.lang,
                                      self.uploads.kept if self.uploads else None, offers=offers,
                                      reused=self.uploads.reused if self.uploads else None)
        labels = {f"form.{f.name}": f.label for f in fields}
        labels.update({f"components.{c.code}": c.name for c in components})
        owners = owner_inputs(self.owner, self.errors, required=self.desk)
        labels.update({o["name"]: o["label"] for o in owners})
        labels.update({"unit": _("Receiving unit"), "channel": _("Channel")})
        return {
            "procedure": self.procedure, "version": self.version, "desk": self.desk, "token": self.token,
            "fields": fields, "components": components, "owner_inputs": owners,
            "owner_open": any(self.owner.values()) or any(k.startswith("owner.") for k in self.errors),
            "unit": self.unit, "unit_choices": unit_choices, "unit_free_text": unit_free_text,
            "channel": self.channel, "unit_errors": self.errors.get("unit", []),
            "channel_errors": self.errors.get("channel", []),
            "summary": error_summary(self.errors, labels),
        }


def run_wizard(request: HttpRequest, wizard: Wizard) -> Wizard:
    """Handle the wizard's POST: store the files, then file the dossier through `services.submit`. On success
    `wizard.dossier` is set; otherwise `wizard.errors` holds every problem, keyed by where the page shows it."""
    post = request.POST
    version = wizard.version
    wizard.token = posted_token(post)
    wizard.form = parse_eform(version.form_schema, post)
    wizard.unit = str(post.get("unit", "")).strip()[:20]
    wizard.owner = owner_from_post(post)
    if wizard.desk:
        wizard.channel = Channel.POST if str(post.get("channel")) == str(Channel.POST) else Channel.IN_PERSON
    else:
        wizard.channel = Channel.ONLINE
    earlier = Dossier.objects.filter(submitted_by=request.user, idempotency_key=wizard.token).first()
    if earlier is not None:  # the same page sent twice (double click, back and resend): one dossier
        wizard.dossier = earlier
        return wizard
    uploads = store_uploads(request, version)
    wizard.uploads = uploads
    if uploads.errors:
        problems = uploads.errors + missing_components(version, uploads) + rules.form_errors(version, wizard.form)
        wizard.errors = errors_by_key(problems)
        wizard.status = 422
        return wizard
    owner = wizard.owner if (wizard.desk or any(wizard.owner.values())) else None
    data = services.Submission(procedure=wizard.procedure.code, form=wizard.form, components=uploads.components,
                               unit=wizard.unit or None, owner=owner, channel=wizard.channel,
                               idempotency_key=wizard.token)
    try:
        wizard.dossier, wizard.created = services.submit(request.user, data)
    except Conflict as exc:
        earlier = Dossier.objects.filter(submitted_by=request.user, idempotency_key=wizard.token).first()
        if earlier is not None:  # a concurrent double click won the race with other copies of the files
            wizard.dossier = earlier
            return wizard
        wizard.errors = errors_by_key(exc.errors, uploads.codes) or {"": [str(exc.message)]}
        wizard.status = exc.status
    except DomainError as exc:
        wizard.errors = errors_by_key(exc.errors, uploads.codes) or {"": [str(exc.message)]}
        wizard.status = exc.status
    return wizard
