"""National portal sync: the mapper on a real dossier, and delivery to the real stand-in receiver (fake_portal) on
loopback: flaky, down for ten minutes, refusing a dossier (dead letter, replay). The outbox is driven by hand with the
frozen clock moved past each backoff: nothing sleeps through a retry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from django.core.management import call_command

from motcua.dossiers.models import Dossier
from motcua.dossiers.tests.conftest import Api, api, first_registration  # noqa: F401 - api: the fixture
from motcua.integrations import national, outbox
from motcua.integrations.fake_portal import FakePortal
from motcua.integrations.models import DeliveryStatus, NationalSyncMessage, OutboxDelivery, OutboxEvent

pytestmark = pytest.mark.django_db
TOKEN = "national-test-token"
STAMP = re.compile(r"\d{14}")


@pytest.fixture
def national_sync() -> Iterator[None]:
    """The national_sync consumer (the integrations tests set other apps' consumers aside: put it back)."""
    outbox.register(national.CONSUMER, national.TOPICS, national.sync_dossier, atomic=False, ordered=True)
    yield
    outbox.unregister(national.CONSUMER)


@pytest.fixture
def portal(settings, national_sync) -> Iterator[FakePortal]:
    """The stand-in receiver on loopback, and the settings that point the sync at it."""
    receiver = FakePortal(token=TOKEN, timeout_delay=0.5, seed=7).start()
    settings.MOTCUA_NATIONAL_SYNC_URL = receiver.url
    settings.MOTCUA_NATIONAL_SYNC_TOKEN = TOKEN
    settings.MOTCUA_NATIONAL_SYNC_CONNECT_TIMEOUT = 1
    settings.MOTCUA_NATIONAL_SYNC_TIMEOUT = 0.2
    yield receiver
    receiver.stop()


def submit(citizen: Api) -> str:
    response = citizen.post("/api/v1/dossiers", first_registration(citizen))
    assert response.status_code == 201, response.content
    return response.json()["code"]


def walk(api, clock, codes: list[str]) -> None:  # noqa: F811 - the fixture, passed in
    """Accept each dossier, then send each on to processing (status 4)."""
    onestop, handler = api("onestop.demo"), api("handler.demo")
    for code in codes:
        assert onestop.act(code, "accept").status_code == 200
    clock.advance(timedelta(hours=1))
    for code in codes:
        assert handler.act(code, "complete_step", {"note": "Hồ sơ hợp lệ"}).status_code == 200


def deliver_all(clock, rounds: int = 300, step: timedelta = timedelta(minutes=10)) -> None:
    """Run deliveries until nothing is pending, moving the clock past each backoff."""
    for _ in range(rounds):
        while outbox.deliver_pending(limit=50):
            pass
        if not outbox.pending_count(national.CONSUMER):
            return
        clock.advance(step)
    raise AssertionError("deliveries still pending")


def expected_ids(code: str) -> list[str]:
    """The message ids the dossier's events should produce, in order."""
    ids = []
    for event in OutboxEvent.objects.filter(key=code, topic__in=national.TOPICS).order_by("id"):
        ops = ["add"] if event.payload["seq"] == 1 else ["update", "history"]
        ids += [f"{event.pk}-{op}" for op in ops]
    return ids


def assert_received_in_order(receiver: FakePortal, code: str) -> list[dict]:
    received = receiver.received(code)
    assert [m["event_id"] for m in received] == expected_ids(code)  # each once, in event order
    history = [m["data"]["QuaTrinhXuLy"][0]["ThuTu"] for m in received if m["operation"] == "history"]
    assert history == sorted(history) and history[0] == 2
    return received


def test_the_mapper_on_a_dossier_walked_to_its_result(api, frozen_clock, national_sync):  # noqa: F811
    citizen, onestop, handler, leader = (api(u) for u in ("citizen.demo", "onestop.demo", "handler.demo",
                                                          "leader.demo"))
    code = submit(citizen)
    first = national.messages_for(OutboxEvent.objects.filter(key=code).earliest("id"))
    assert [m["operation"] for m in first] == ["add"]
    added = first[0]["data"]
    assert (added["MaHoSo"], added["MaTTHC"], added["TrangThaiHoSo"], added["KenhThucHien"]) == (
        code, "1.013133", 1, 2)
    assert added["NgayNopHoSo"] == "20261123090000"  # Hanoi local time, yyyyMMddHHmmss
    assert added["NgayTiepNhan"] == "" and added["NgayHenTra"] == ""
    assert onestop.act(code, "accept").status_code == 200
    frozen_clock.advance(timedelta(hours=2))
    assert handler.act(code, "complete_step", {"note": "Hồ sơ hợp lệ"}).status_code == 200
    assert leader.act(code, "approve", {"note": "Đồng ý"}).status_code == 200
    assert onestop.act(code, "return_result", {"method": "online"}).status_code == 200

    dossier = Dossier.objects.get(code=code)
    data = national.map_dossier(dossier)
    assert data["TrangThaiHoSo"] == 10 and data["MaLinhVuc"] == dossier.version.field.code
    assert data["TenTTHC"] == dossier.version.name_vi and data["ChuHoSo"] == dossier.owner_name
    assert data["SoGiayToChuHoSo"] == dossier.owner_id_number and data["DonViXuLy"] == "000.05.12.H26"
    assert data["NgayTiepNhan"] == "20261123090000" and data["NgayHenTra"] == "20261125090000"
    assert STAMP.fullmatch(data["NgayKetThucXuLy"]) and STAMP.fullmatch(data["NgayTraKetQua"])
    assert (data["HoSoTreHan"], data["XinLoi"], data["ThanhToanTrucTuyen"]) == (0, 0, 0)
    assert [(h["ThuTu"], h["HanhDong"], h["TrangThaiTruoc"], h["TrangThaiSau"]) for h in data["QuaTrinhXuLy"]] == [
        (1, "submit", None, 1), (2, "accept", 1, 2), (3, "complete_step", 2, 4), (4, "approve", 4, 9),
        (5, "return_result", 9, 10)]
    assert data["QuaTrinhXuLy"][2]["NoiDungXuLy"] == "Hồ sơ hợp lệ"
    assert data["QuaTrinhXuLy"][1]["NguoiXuLy"] and data["QuaTrinhXuLy"][1]["DonViXuLy"] == "000.05.12.H26"
    files = dossier.files.select_related("file").order_by("id")
    assert [(d["MaThanhPhan"], d["TenTep"], d["MaHash"], d["KichThuoc"]) for d in data["TaiLieuNop"]] == [
        (f.component_code, f.file.original_name, f.file.sha256, f.file.size) for f in files]
    assert all(d["TenTaiLieu"] and d["DaSoHoa"] in (0, 1) for d in data["TaiLieuNop"])
    [result] = data["DanhSachKetQua"]
    assert result["MaKetQua"] == f"{code}-KQ1" and STAMP.fullmatch(result["NgayBanHanh"])
    assert isinstance(data["DanhSachLePhi"], list)

    last = national.messages_for(OutboxEvent.objects.filter(key=code, topic__in=national.TOPICS).latest("id"))
    assert [m["operation"] for m in last] == ["update", "history"]
    assert last[1]["data"]["QuaTrinhXuLy"][0]["HanhDong"] == "return_result"
    assert len({m["event_id"] for m in last}) == 2


def test_without_a_portal_url_messages_are_kept_locally_once(api, frozen_clock, national_sync, settings):  # noqa: F811
    settings.MOTCUA_NATIONAL_SYNC_URL = ""
    code = submit(api("citizen.demo"))
    walk(api, frozen_clock, [code])
    deliver_all(frozen_clock)
    kept = list(NationalSyncMessage.objects.filter(dossier_code=code).order_by("id")
                .values_list("message_id", flat=True))
    assert kept == expected_ids(code)
    outbox.retry(OutboxDelivery.objects.filter(consumer=national.CONSUMER))  # sent again: nothing new
    deliver_all(frozen_clock)
    assert NationalSyncMessage.objects.filter(dossier_code=code).count() == len(kept)


def test_a_flaky_receiver_ends_with_every_message_once_and_in_order(api, frozen_clock, portal, settings):  # noqa: F811
    settings.MOTCUA_OUTBOX_MAX_ATTEMPTS = 40
    portal.fail_rate, portal.timeout_rate = 0.25, 0.25  # half the calls fail or time out
    citizen = api("citizen.demo")
    codes = [submit(citizen) for _ in range(3)]
    walk(api, frozen_clock, codes)
    deliver_all(frozen_clock)
    assert not OutboxDelivery.objects.filter(consumer=national.CONSUMER).exclude(
        status=DeliveryStatus.DELIVERED).exists()
    stored = 0
    for code in codes:
        stored += len(assert_received_in_order(portal, code))
    assert portal.calls > stored  # failures and timeouts did happen: retries and dropped duplicates


def test_a_receiver_down_for_ten_minutes_loses_nothing(api, frozen_clock, portal):  # noqa: F811
    port = portal.port
    portal.stop()
    citizen = api("citizen.demo")
    codes = [submit(citizen) for _ in range(4)]  # a burst of actions while the receiver is down
    walk(api, frozen_clock, codes)
    for _ in range(10):
        while outbox.deliver_pending(limit=50):
            pass
        frozen_clock.advance(timedelta(minutes=1))
    sync = OutboxDelivery.objects.filter(consumer=national.CONSUMER)
    assert not sync.filter(status=DeliveryStatus.DELIVERED).exists()
    assert not sync.filter(status=DeliveryStatus.FAILED).exists()
    assert "ConnectionError" in sync.exclude(last_error="").first().last_error
    back = FakePortal(port=port, token=TOKEN, seed=1).start()
    try:
        deliver_all(frozen_clock)
        for code in codes:
            assert_received_in_order(back, code)
    finally:
        back.stop()


def test_a_refused_dossier_is_dead_lettered_then_replayed_in_order(api, frozen_clock, portal):  # noqa: F811
    citizen = api("citizen.demo")
    refused, fine = submit(citizen), submit(citizen)
    portal.reject.add(refused)
    walk(api, frozen_clock, [refused, fine])
    for _ in range(5):
        while outbox.deliver_pending(limit=50):
            pass
        frozen_clock.advance(timedelta(hours=2))
    assert_received_in_order(portal, fine)
    assert portal.received(refused) == []
    dead = outbox.failed_deliveries(national.CONSUMER)
    assert [d.event.key for d in dead] == [refused]  # the first one only: the later ones wait behind it
    assert dead[0].attempts == 1 and "HTTP 422" in dead[0].last_error
    assert OutboxDelivery.objects.filter(consumer=national.CONSUMER, event__key=refused,
                                         status=DeliveryStatus.PENDING, attempts=0).count() == 2
    portal.reject.clear()
    call_command("retry_failed")
    deliver_all(frozen_clock)
    assert_received_in_order(portal, refused)


def test_wrong_credentials_are_a_permanent_failure(api, frozen_clock, portal, settings):  # noqa: F811
    settings.MOTCUA_NATIONAL_SYNC_TOKEN = "wrong"
    submit(api("citizen.demo"))
    outbox.deliver_pending()
    [dead] = outbox.failed_deliveries(national.CONSUMER)
    assert "HTTP 401" in dead.last_error


def test_the_fake_national_portal_command(tmp_path):
    """`manage.py fake_national_portal` as an operator runs it: credentials, duplicates dropped, /received."""
    import os
    import socket
    import subprocess
    import sys
    import time

    import requests

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    store = tmp_path / "received.sqlite3"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "motcua.settings", "MOTCUA_DATA_DIR": str(tmp_path)}
    server = subprocess.Popen([sys.executable, "manage.py", "fake_national_portal", "--port", str(port),
                               "--store", str(store), "--token", TOKEN], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}/"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    try:
        for _ in range(300):
            try:
                requests.get(url + "received", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        message = {"event_id": "7-add", "operation": "add", "dossier": "X-1", "data": {"MaHoSo": "X-1"}}
        assert requests.post(url, json=message, timeout=5).status_code == 401
        first = requests.post(url, json=message, headers=auth, timeout=5)
        again = requests.post(url, json=message, headers=auth, timeout=5)
        assert (first.json(), again.json()) == ({"stored": True, "duplicate": False},
                                                {"stored": False, "duplicate": True})
        assert requests.post(url, data=b"not json", headers=auth, timeout=5).status_code == 400
        received = requests.get(url + "received", params={"dossier": "X-1"}, headers=auth, timeout=5).json()
        assert received == {"items": [message]}
        assert requests.get(url + "received", timeout=5).status_code == 401
    finally:
        server.terminate()
        server.wait(timeout=10)
