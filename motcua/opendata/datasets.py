"""The published datasets: their categories (CKAN groups), metadata, columns, charts and where their rows come from.

Thirteen categories, one dataset each. Adding a dataset is adding a `Definition` here; the refresh publishes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from . import sources

LICENSE_ID = "cc-by-4.0"
LICENSE_TITLE = "Creative Commons Attribution 4.0"
LICENSE_URL = "https://creativecommons.org/licenses/by/4.0/"


@dataclass(frozen=True)
class Category:
    """A CKAN group (a DCAT theme)."""

    name: str
    title_vi: str
    title_en: str

    def title(self, language: str = "vi") -> str:
        return self.title_en if language == "en" else self.title_vi


@dataclass(frozen=True)
class Chart:
    """What the data page draws: `value` summed by `label` (bars), or `value` / `denominator` in percent (line)."""

    label: str
    value: str
    denominator: str = ""


@dataclass(frozen=True)
class Definition:
    name: str
    group: str
    title_vi: str
    title_en: str
    notes_vi: str
    notes_en: str
    tags: tuple[str, ...]
    columns: tuple[str, ...]
    rows: Callable[[], sources.Rows]
    chart: Chart | None = None


CATEGORIES = [
    Category("procedures", "Thủ tục hành chính", "Administrative procedures"),
    Category("fees", "Phí, lệ phí", "Fees and charges"),
    Category("legal", "Căn cứ pháp lý", "Legal bases"),
    Category("units", "Cơ quan, đơn vị", "Units"),
    Category("dossiers-monthly", "Hồ sơ theo tháng", "Dossiers by month"),
    Category("dossiers-fields", "Hồ sơ theo lĩnh vực", "Dossiers by field"),
    Category("dossiers-units", "Hồ sơ theo đơn vị", "Dossiers by unit"),
    Category("channels", "Kênh tiếp nhận", "Submission channels"),
    Category("timeliness", "Giải quyết đúng hạn", "Timeliness"),
    Category("digitization", "Số hóa", "Digitization"),
    Category("service-index", "Chỉ số phục vụ", "Service-quality index"),
    Category("petitions", "Phản ánh, kiến nghị", "Petitions"),
    Category("results", "Kết quả điện tử", "Electronic results"),
]
CATEGORY = {c.name: c for c in CATEGORIES}

_COUNTS_VI = ("Số hồ sơ tiếp nhận (submitted), nộp trực tuyến (online), đã tiếp nhận xử lý (accepted), đã giải quyết "
              "(finished), được chấp thuận (approved), đúng hạn (on_time), quá hạn (late).")
_COUNTS_EN = ("Dossiers submitted, submitted online, accepted, settled (finished), approved, settled on time and "
              "late.")

DEFINITIONS = [
    Definition(
        "thu-tuc-hanh-chinh", "procedures", "Danh mục thủ tục hành chính", "Administrative procedure catalog",
        "Các thủ tục hành chính đang có hiệu lực: mã, tên, lĩnh vực, cấp thực hiện, mức độ trực tuyến, thời hạn "
        "giải quyết, cơ quan thực hiện và kết quả.",
        "The administrative procedures in force: code, name, field, implementing levels, online level, time limit, "
        "implementing agency and result.",
        ("thu-tuc", "procedures", "catalog"),
        ("code", "name_vi", "name_en", "status", "field", "field_name_vi", "field_name_en", "version",
         "online_level", "levels", "subjects", "channels", "time_limit_value", "time_limit_unit", "agency_vi",
         "result_vi", "paper_result_required", "fees", "published_at"),
        sources.procedures, Chart("field", "fees")),
    Definition(
        "phi-le-phi", "fees", "Phí, lệ phí thủ tục hành chính", "Fees and charges of procedures",
        "Phí và lệ phí của từng thủ tục hành chính đang có hiệu lực, bằng đồng Việt Nam.",
        "The fees and charges of each procedure in force, in Vietnamese dong.",
        ("phi", "fees", "charges"),
        ("procedure", "kind", "name_vi", "name_en", "amount_vnd", "payer_vi"),
        sources.fees, Chart("procedure", "amount_vnd")),
    Definition(
        "can-cu-phap-ly", "legal", "Căn cứ pháp lý của thủ tục", "Legal bases of procedures",
        "Văn bản quy phạm pháp luật làm căn cứ của từng thủ tục hành chính đang có hiệu lực.",
        "The legal documents each procedure in force is based on.",
        ("phap-ly", "legal", "regulations"),
        ("procedure", "number", "title_vi", "title_en", "issued_on", "effective_from", "effective_to"),
        sources.legal_bases),
    Definition(
        "co-quan-don-vi", "units", "Danh bạ cơ quan, đơn vị", "Units directory",
        "Các cơ quan, đơn vị tiếp nhận và giải quyết thủ tục hành chính: mã định danh, tên, cấp, đơn vị cấp trên, "
        "địa chỉ.",
        "The units that receive and settle dossiers: agency code, name, level, parent unit and address.",
        ("don-vi", "units", "directory"),
        ("agency_code", "name_vi", "name_en", "level", "parent", "province_code", "address"),
        sources.units),
    Definition(
        "ho-so-theo-thang", "dossiers-monthly", "Số lượng hồ sơ theo tháng", "Dossier volume by month",
        "Số hồ sơ theo tháng nộp. " + _COUNTS_VI, "Dossiers by month of submission. " + _COUNTS_EN,
        ("ho-so", "dossiers", "statistics"), ("month", *sources.VOLUME_COLUMNS),
        sources.dossiers_by_month, Chart("month", "submitted")),
    Definition(
        "ho-so-theo-linh-vuc", "dossiers-fields", "Số lượng hồ sơ theo lĩnh vực", "Dossier volume by field",
        "Số hồ sơ theo năm nộp và lĩnh vực. " + _COUNTS_VI, "Dossiers by year and field. " + _COUNTS_EN,
        ("ho-so", "dossiers", "fields"),
        ("year", "field", "field_name_vi", "field_name_en", *sources.VOLUME_COLUMNS),
        sources.dossiers_by_field, Chart("field", "submitted")),
    Definition(
        "ho-so-theo-don-vi", "dossiers-units", "Số lượng hồ sơ theo đơn vị", "Dossier volume by unit",
        "Số hồ sơ theo năm nộp và đơn vị tiếp nhận. " + _COUNTS_VI,
        "Dossiers by year and receiving unit. " + _COUNTS_EN,
        ("ho-so", "dossiers", "units"),
        ("year", "unit", "unit_name_vi", "unit_name_en", *sources.VOLUME_COLUMNS),
        sources.dossiers_by_unit, Chart("unit", "submitted")),
    Definition(
        "ho-so-theo-kenh", "channels", "Hồ sơ theo kênh tiếp nhận", "Dossiers by submission channel",
        "Số hồ sơ theo tháng và kênh nộp: trực tiếp (1), trực tuyến (2), bưu chính công ích (3).",
        "Dossiers by month and channel: in person (1), online (2), public postal service (3).",
        ("ho-so", "dossiers", "online"),
        ("month", "channel", "channel_name_vi", "channel_name_en", "submitted"),
        sources.dossiers_by_channel, Chart("channel_name_vi", "submitted")),
    Definition(
        "ty-le-dung-han", "timeliness", "Tỷ lệ giải quyết đúng hạn", "On-time settlement rate",
        "Hồ sơ đã giải quyết theo tháng và đơn vị tiếp nhận: đúng hạn, quá hạn và tỷ lệ đúng hạn (%).",
        "Dossiers settled by month and receiving unit: on time, late and the on-time rate (%).",
        ("dung-han", "on-time", "performance"),
        ("month", "unit", "finished", "on_time", "late", "on_time_rate"),
        sources.on_time_rate, Chart("month", "on_time", "finished")),
    Definition(
        "so-hoa", "digitization", "Tỷ lệ số hóa hồ sơ, kết quả", "Digitization rates",
        "Báo cáo số hóa theo năm và đơn vị (gồm các đơn vị cấp dưới): hồ sơ có thành phần đã số hóa, kết quả "
        "đã số hóa, tồn đọng, tái sử dụng dữ liệu.",
        "The digitization report by year and unit (with the units below it): dossiers with digitized components, "
        "digitized results, backlog, reuse of data.",
        ("so-hoa", "digitization", "reuse"), ("year", *sources.DIGITIZATION_COLUMNS),
        sources.digitization, Chart("unit", "dossiers_digitized", "dossiers_with_files")),
    Definition(
        "chi-so-phuc-vu", "service-index", "Chỉ số chất lượng phục vụ", "Service-quality index scores",
        "Điểm bộ chỉ số chỉ đạo, điều hành và đánh giá chất lượng phục vụ người dân, doanh nghiệp theo năm, của "
        "bộ và từng đơn vị trực thuộc.",
        "The service-quality index scores by year, of the ministry and each unit directly under it.",
        ("chi-so", "index", "quality"), sources.INDEX_COLUMNS, sources.index_scores, Chart("unit", "points")),
    Definition(
        "phan-anh-kien-nghi", "petitions", "Phản ánh, kiến nghị", "Petitions",
        "Số phản ánh, kiến nghị theo tháng, đơn vị, loại và nhóm: đang xử lý, từ chối, đã trả lời, đã công khai, "
        "trả lời đúng hạn, quá hạn.",
        "Petitions by month, unit, kind and category: open, refused, answered, published, answered on time, late.",
        ("phan-anh", "petitions", "feedback"),
        ("month", "unit", "kind", "category", "received", "open", "refused", "answered", "published",
         "answers_on_time", "answers_late"),
        sources.petitions, Chart("month", "received")),
    Definition(
        "ket-qua-dien-tu", "results", "Kết quả điện tử đã cấp", "Electronic results issued",
        "Số kết quả giải quyết thủ tục hành chính điện tử đã ký số theo tháng và đơn vị cấp, theo tình trạng.",
        "Signed electronic results issued by month and issuing unit, by state.",
        ("ket-qua", "results", "e-documents"),
        ("month", "unit", "issued", "valid", "cancelled", "replaced"),
        sources.results, Chart("month", "issued")),
]
BY_NAME = {d.name: d for d in DEFINITIONS}
