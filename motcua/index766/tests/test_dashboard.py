"""The back-office dashboard: scorecard, drill-down pages, charts, exports; only for index readers."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from motcua.core.clock import FrozenClock, use_clock
from motcua.identity.models import User

from .conftest import VN

MARCH = "?year=2026&month=3"


@pytest.fixture
def admin(client, example):
    client.force_login(User.objects.get(username="admin.demo"))
    with use_clock(FrozenClock(datetime(2026, 4, 15, 9, 0, tzinfo=VN))):
        yield client


def test_dashboard_shows_groups_charts_ranking_and_settings(admin):
    page = admin.get("/backoffice/index/" + MARCH)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-testid="indicator-2.1"' in html and "62,50%" in html and "12,50" in html  # Vietnamese number format
    assert "/backoffice/index/indicators/2.1/?unit=000.00.00.G11&amp;year=2026&amp;month=3&amp;part=numerator" in html
    assert html.count("<svg") == 2 and "<polyline" in html and "<rect" in html
    assert "MOTCUA_INDEX_PAUSE_TIME" in html and 'data-testid="ranking"' in html
    assert "http://" not in html.split("<svg")[1].split("xmlns")[0]  # nothing fetched from elsewhere


def test_drill_down_page_lists_the_late_dossiers(admin):
    page = admin.get("/backoffice/index/indicators/2.1/" + MARCH + "&part=lost").content.decode()
    assert "000.00.00.G11-260303-0001" in page and "/backoffice/dossiers/000.00.00.G11-260303-0001/" in page
    assert "000.00.00.G11-260302-0001" not in page


def test_exports(admin):
    text = admin.get("/backoffice/index/scorecard.csv" + MARCH).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    progress = next(r for r in rows if len(r) > 1 and r[1] == "2.1")
    assert progress[3:7] == ["5", "8", "62.5", "12.5"]
    sync = next(r for r in rows if len(r) > 1 and r[1] == "1.4")
    assert sync[3] == "" and sync[6] not in ("0", "0.0")  # no data, not zero
    book = load_workbook(io.BytesIO(admin.get("/backoffice/index/scorecard.xlsx" + MARCH).content))
    values = [[c.value for c in row] for row in book.active.iter_rows()]
    assert next(v for v in values if v[1] == "2.1")[3:7] == [5, 8, 62.5, 12.5]


def test_only_index_readers(client, example):
    client.force_login(User.objects.get(username="onestop.demo"))
    assert client.get("/backoffice/index/").status_code == 403
    client.force_login(User.objects.get(username="leader.demo"))
    assert client.get("/backoffice/index/?unit=000.00.00.G11").status_code == 403
    assert client.get("/backoffice/index/").status_code == 200  # their own commune
