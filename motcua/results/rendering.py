"""Electronic results and dossier slips as PDF/A-3b documents (WeasyPrint).

Every PDF made here is A4, embeds its fonts (Noto Serif / Noto Sans, DejaVu as fallback: all of Vietnamese), carries
its title, subject, keywords and author in the document information and the XMP metadata, and keeps `SEAL_BOX` on
page 1 blank: page 1 has a tall bottom margin, the box sits in it, and the caption "Mã QR xác thực / Verification QR"
is printed beside it, so no content can flow there. The QR seal is stamped into that box afterwards, by the signing
module, in `slip_pdf_for` (slips) and where results are issued.

Results are official documents in Vietnamese (`ResultContent` -> `render_result_pdf`), from the template
`results/documents/<procedure code>.html`, else `results/documents/generic.html`. Slips are the same slips as the HTML
pages of `motcua.dossiers.slips`, in their print layout (`render_slip_pdf`).
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.template.loader import render_to_string, select_template
from django.utils import timezone, translation
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration
from weasyprint.urls import URLFetcher

from motcua.dossiers import slips
from motcua.dossiers.models import Dossier

from . import seal

MM = 72 / 25.4  # PDF points per millimetre
PAGE_SIZE: tuple[float, float] = (round(210 * MM, 2), round(297 * MM, 2))  # A4 in points
# Page margins in mm (Decree 30/2020/ND-CP layout of administrative documents): top, right, bottom, left.
MARGINS_MM = (20, 15, 20, 30)
# The seal box in mm from the bottom-left corner of page 1: left edge on the left margin, bottom edge on the bottom
# margin, 36 mm square.
SEAL_MM = (30, 20, 36)
SEAL_GAP_MM = 6  # blank space between the top of the box and the last line of page 1's content
SEAL_BOX: tuple[float, float, float, float] = (
    round(SEAL_MM[0] * MM, 2), round(SEAL_MM[1] * MM, 2),
    round((SEAL_MM[0] + SEAL_MM[2]) * MM, 2), round((SEAL_MM[1] + SEAL_MM[2]) * MM, 2),
)
"""(x0, y0, x1, y1) in PDF points, origin at the bottom-left corner of page 1: the square left blank for the QR seal."""
SEAL_CAPTION = ("Mã QR xác thực", "Verification QR")
AUTHOR = "motcua"
# The stylesheets of the documents (templates, so apps keep their own; given to WeasyPrint parsed, not inline).
RESULT_CSS = "results/documents/print.css"
SLIP_CSS = "dossiers/slips/print.css"

_PAGE_CSS = f"""
@page {{
  size: A4; margin: {MARGINS_MM[0]}mm {MARGINS_MM[1]}mm {MARGINS_MM[2]}mm {MARGINS_MM[3]}mm;
  @bottom-right {{ content: counter(page) "/" counter(pages); vertical-align: bottom; padding-bottom: 8mm;
                  font-family: "Noto Sans", "DejaVu Sans", sans-serif; font-size: 8pt; }}
}}
html {{ font-family: "Noto Serif", "DejaVu Serif", serif; }}
"""
_SEAL_CSS = f"""
@page :first {{
  margin-bottom: {SEAL_MM[1] + SEAL_MM[2] + SEAL_GAP_MM}mm !important;
  @bottom-left {{
    content: "{SEAL_CAPTION[0]}\\A {SEAL_CAPTION[1]}" !important; white-space: pre; text-align: left;
    vertical-align: bottom; padding: 0 0 {SEAL_MM[1]}mm {SEAL_MM[0] + SEAL_MM[2] + 4 - MARGINS_MM[3]}mm;
    font-family: "Noto Sans", "DejaVu Sans", sans-serif; font-size: 8pt; line-height: 1.3; color: #333;
  }}
}}
"""

_local = threading.local()

# WeasyPrint announces each rendering step at INFO: eight lines a document. Quiet unless the logging settings ask.
_progress = logging.getLogger("weasyprint.progress")
if _progress.level == logging.NOTSET:
    _progress.setLevel(logging.WARNING)


def _renderer() -> tuple[FontConfiguration, CSS, CSS, URLFetcher]:
    """One font configuration, parsed page stylesheets and URL fetcher per thread (fontconfig state is not shared
    between threads), built on first use and reused: parsing and font lookup are most of a small page's cost."""
    state = getattr(_local, "state", None)
    if state is None:
        fonts = FontConfiguration()
        state = (fonts, CSS(string=_PAGE_CSS, font_config=fonts), CSS(string=_SEAL_CSS, font_config=fonts),
                 # Documents are self-contained: no file, no network (only data: URIs, e.g. inline images).
                 URLFetcher(allowed_protocols={"data"}))
        _local.state = state
    return state


def _w3c(instant: datetime) -> str:
    return instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stylesheet(text: str, fonts: FontConfiguration) -> CSS:
    """`text` parsed once per thread (a document's stylesheet is the same for every document of its kind)."""
    cache: dict[str, CSS] = _local.__dict__.setdefault("stylesheets", {})
    found = cache.get(text)
    if found is None:
        if len(cache) >= 64:
            cache.clear()
        found = cache[text] = CSS(string=text, font_config=fonts)
    return found


def html_to_pdf(html: str, *, title: str, subject: str = "", keywords: list[str] | None = None,
                created: datetime | None = None, stylesheet: str = "", seal: bool = True) -> bytes:
    """`html` as a PDF/A-3b document: A4, fonts embedded, metadata set (title, subject, keywords, author "motcua",
    creation date when given), and with `seal` the seal box of page 1 kept blank (see `SEAL_BOX`).

    `stylesheet` is CSS applied after the page defaults (as a user stylesheet: it overrides the defaults, a `<style>`
    in `html` overrides it), parsed once per thread and reused: the documents of a kind share theirs."""
    fonts, page_css, seal_css, fetcher = _renderer()
    stylesheets = [page_css, *([_stylesheet(stylesheet, fonts)] if stylesheet else []), *([seal_css] if seal else [])]
    document = HTML(string=html, url_fetcher=fetcher).render(font_config=fonts, stylesheets=stylesheets)
    metadata = document.metadata
    metadata.title = title
    metadata.description = subject or None
    metadata.keywords = [k for k in (keywords or []) if k]
    metadata.authors = [AUTHOR]
    metadata.generator = AUTHOR
    if created is not None:
        metadata.created = metadata.modified = _w3c(created)
    return document.write_pdf(pdf_variant="pdf/a-3b")


# --- electronic results -------------------------------------------------------------------------------------------

@dataclass
class ResultContent:
    """Everything an electronic result says. Built by whoever issues the result (see `result_content_for`)."""

    result_code: str
    dossier_code: str
    procedure_code: str
    procedure_name: str
    result_title: str
    holder_name: str
    holder_id_number: str
    holder_address: str
    form: dict[str, Any]
    issuing_unit_name: str
    issuing_unit_code: str
    issued_at: datetime
    valid_until: date | None
    signer_name: str
    signer_title: str
    legal_basis: list[str]
    place: str
    # The e-form's JSON Schema, for the labels of `form`; empty: read from the dossier's procedure version.
    form_schema: dict[str, Any] = field(default_factory=dict)


def vn_date(value: date | datetime) -> str:
    """"ngày 05 tháng 02 năm 2026": the date line of Vietnamese administrative documents (a zero before days under 10
    and months under 3). Instants are shown in local time."""
    if isinstance(value, datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    month = f"{value.month:02d}" if value.month < 3 else str(value.month)
    return f"ngày {value.day:02d} tháng {month} năm {value.year}"


def _short_date(value: Any) -> str:
    if isinstance(value, datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
    if isinstance(value, date):
        return value.strftime("%d/%m/%Y")
    return ""


def _shown(prop: dict[str, Any], value: Any) -> str:
    """An answer of the e-form as the result prints it (Vietnamese labels of choices, dd/mm/yyyy dates)."""
    if isinstance(value, bool):
        return "Có" if value else "Không"
    labels = prop.get("x-enum-labels")
    if "enum" in prop and isinstance(labels, dict):
        label = labels.get(str(value))
        if isinstance(label, dict):
            return str(label.get("vi") or value)
    if prop.get("format") == "date" and isinstance(value, str):
        try:
            return date.fromisoformat(value).strftime("%d/%m/%Y")
        except ValueError:
            return value
    if isinstance(value, int | float):
        return f"{value:,}".replace(",", ".") if isinstance(value, int) else str(value).replace(".", ",")
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return "" if value is None else str(value)


def form_fields(schema: dict[str, Any], form: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(name, label, shown value) of each answer: in the schema's order with its Vietnamese titles, then the answers
    the schema does not know, labelled by their key."""
    properties = schema.get("properties") if isinstance(schema, dict) else None
    properties = properties if isinstance(properties, dict) else {}
    rows = []
    for name, prop in properties.items():
        if name in form and isinstance(prop, dict) and form[name] not in (None, ""):
            rows.append((name, str(prop.get("title") or name), _shown(prop, form[name])))
    rows += [(name, name, _shown({}, value)) for name, value in form.items()
             if name not in properties and value not in (None, "")]
    return rows


def _schema_for(content: ResultContent) -> dict[str, Any]:
    if content.form_schema:
        return content.form_schema
    from motcua.catalog.models import Procedure

    found = Dossier.objects.filter(code=content.dossier_code).values_list("version__form_schema", flat=True).first()
    if found is None:
        found = (Procedure.objects.filter(code=content.procedure_code)
                 .values_list("current_version__form_schema", flat=True).first())
    return found if isinstance(found, dict) else {}


_TEMPLATE_NAME = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")


def result_templates(procedure_code: str) -> list[str]:
    """The templates tried for a procedure's result, most specific first."""
    specific = [f"results/documents/{procedure_code}.html"] if _TEMPLATE_NAME.fullmatch(procedure_code) else []
    return [*specific, "results/documents/generic.html"]


def render_result_html(content: ResultContent) -> str:
    """The result as the HTML the PDF is made from (always Vietnamese: an official document), without its
    stylesheet (`RESULT_CSS`)."""
    rows = form_fields(_schema_for(content), content.form)
    context = {
        "c": content, "rows": rows, "field": {name: shown for name, _label, shown in rows},
        "issued_date": vn_date(content.issued_at), "issued_short": _short_date(content.issued_at),
        "valid_until": vn_date(content.valid_until) if content.valid_until else "",
    }
    with translation.override("vi"):
        return select_template(result_templates(content.procedure_code)).render(context)


def render_result_pdf(content: ResultContent) -> bytes:
    """The electronic result as a PDF/A-3b document, the seal box of page 1 left blank."""
    return html_to_pdf(
        render_result_html(content), stylesheet=render_to_string(RESULT_CSS),
        title=f"{content.result_title} số {content.result_code}",
        subject=f"Kết quả giải quyết hồ sơ {content.dossier_code}: {content.procedure_name}",
        keywords=[content.result_code, content.dossier_code, content.procedure_code, content.issuing_unit_code],
        created=content.issued_at,
    )


def _place(address: str) -> str:
    """The place line of a document: the last part of the unit's address ("..., phường Ngọc Hà, Hà Nội" ->
    "Hà Nội")."""
    return address.rsplit(",", 1)[-1].strip() if address else ""


def _legal_basis_line(item: Any) -> str:
    line = f"{item.title_vi} số {item.number}"
    return f"{line} {vn_date(item.issued_on)}" if item.issued_on else line


def result_content_for(dossier: Dossier, result_code: str, *, issued_at: datetime | None = None,
                       valid_until: date | None = None, signer_title: str = "Thủ trưởng đơn vị") -> ResultContent:
    """The content of a result of `dossier`, read from the dossier, its procedure version and the event that decided
    it (its unit issues the result, its actor signs). The issuer may change any field before rendering."""
    from motcua.core import clock

    decided = slips.last_event(dossier, ("approve",))
    unit = decided.unit if decided is not None and decided.unit is not None else dossier.current_unit
    version = dossier.version
    owner = dossier.owner or {}
    return ResultContent(
        result_code=result_code, dossier_code=dossier.code, procedure_code=dossier.procedure.code,
        procedure_name=version.name_vi, result_title=version.result_type_vi,
        holder_name=dossier.owner_name or str(owner.get("name") or ""),
        holder_id_number=dossier.owner_id_number or str(owner.get("id_number") or ""),
        holder_address=str(owner.get("address") or ""), form=dict(dossier.form_data or {}),
        issuing_unit_name=unit.name_vi, issuing_unit_code=unit.agency_code,
        issued_at=issued_at or clock.now(), valid_until=valid_until,
        signer_name=decided.actor_name if decided is not None else "", signer_title=signer_title,
        legal_basis=[_legal_basis_line(item) for item in version.legal_basis.all()],
        place=_place(unit.address), form_schema=version.form_schema or {},
    )


# --- slips --------------------------------------------------------------------------------------------------------

def render_slip_pdf(dossier: Dossier, kind: str, lang: str, *, staff: bool) -> bytes | None:
    """The slip `kind` of `dossier` as a PDF/A-3b document in `lang` (the same slip as its HTML page, in print layout,
    with the QR seal in the seal box instead of the inline QR code); None when the dossier has no such slip."""
    with translation.override(lang):
        context = slips.context(dossier, kind, lang, staff=staff)
        if context is None:
            return None
        html = slips.print_html(context)
    event = context["event"]
    pdf = html_to_pdf(html, stylesheet=render_to_string(SLIP_CSS), title=f"{context['title']} · {dossier.code}",
                      subject=f"{dossier.code}: {context['procedure_name']}",
                      keywords=[dossier.code, kind, dossier.procedure.code],
                      created=event.at if event is not None else None)
    unit = event.unit if event is not None and event.unit is not None else dossier.receiving_unit
    return seal.seal_pdf(pdf, {
        "t": "s", "c": dossier.code, "k": kind, "i": unit.agency_code, "n": unit.name_vi,
        "d": timezone.localtime(context["issued_at"]).date().isoformat(), "h": dossier.owner_name,
    }, SEAL_BOX).pdf


def slip_pdf_for(user: Any, code: str, kind: str, lang: str) -> bytes | None:
    """The slip PDF of the dossier `code` as `user` may see it (officers: every event; applicants: their own dossiers,
    public events), or None when the dossier is not visible to them or has no such slip. The one place the portal,
    the back office and the API get a slip PDF from (where the QR seal is to be stamped)."""
    from motcua.dossiers.queries import get_visible

    if kind not in slips.KINDS:
        return None
    dossier = get_visible(user, code)
    if dossier is None:
        return None
    return render_slip_pdf(dossier, kind, lang, staff=user.is_staff_member)


__all__ = ["SEAL_BOX", "ResultContent", "html_to_pdf", "render_result_pdf", "render_slip_pdf", "slip_pdf_for",
           "result_content_for", "render_result_html", "vn_date"]
