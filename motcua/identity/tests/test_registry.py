"""The population registry adapters (local CSV, HTTP against a tiny server here) and their use at sign-up."""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Iterator
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from motcua.core.errors import ValidationFailed
from motcua.identity import registry, services
from motcua.identity.models import IdentityMethod, User
from motcua.identity.registry import Status

from .conftest import citizen_signup

AN = ("001209012345", "Nguyễn Văn An", date(2009, 3, 15))


def test_names_compare_without_case_or_spacing_but_with_diacritics():
    record = registry.Record(*AN)
    decomposed = unicodedata.normalize("NFD", "  nguyễn   VĂN an ")
    assert registry.compare(record, decomposed, AN[2]) == registry.Result(Status.VERIFIED)
    assert registry.compare(record, "Nguyen Van An", AN[2]).mismatched == ("full_name",)
    assert registry.compare(record, "Nguyễn Văn Ân", date(2009, 3, 16)).mismatched == ("full_name", "birth_date")
    assert registry.compare(None, *AN[1:]).status == Status.NOT_FOUND


def test_the_local_registry_knows_the_demo_citizens(settings, tmp_path):
    assert registry.verify(*AN).verified
    assert registry.verify("001198054321", "Trần Thị Bình", date(1998, 11, 2)).verified
    assert registry.verify("001209012345", "Nguyễn Văn An", date(2009, 3, 14)) == registry.Result(
        Status.MISMATCH, ("birth_date",))
    assert registry.verify("038090000001", "Ai Đó", date(1990, 1, 1)).status == Status.NOT_FOUND
    settings.MOTCUA_REGISTRY_CSV = str(tmp_path / "missing.csv")
    assert registry.verify(*AN).status == Status.UNAVAILABLE
    settings.MOTCUA_REGISTRY = "off"
    assert registry.verify(*AN).status == Status.UNAVAILABLE


class _Registry(BaseHTTPRequestHandler):
    records = {AN[0]: {"id_number": AN[0], "full_name": AN[1], "birth_date": "2009-03-15"}}
    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        self.seen.append(self.headers.get("Authorization", ""))
        number = self.path.rsplit("/", 1)[-1]
        if number == "038090000500":
            self.send_response(500)
            self.end_headers()
            return
        record = self.records.get(number)
        body = json.dumps(record or {"error": "not found"}).encode()
        self.send_response(200 if record else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_registry(settings) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Registry)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/citizens"
    settings.MOTCUA_REGISTRY, settings.MOTCUA_REGISTRY_URL, settings.MOTCUA_REGISTRY_TOKEN = "http", url, "s3cret"
    _Registry.seen.clear()
    yield url
    server.shutdown()
    server.server_close()


def test_the_http_registry(http_registry, settings):
    assert registry.verify(*AN).verified
    assert _Registry.seen == ["Bearer s3cret"]
    assert registry.verify(AN[0], "Nguyễn Văn Anh", AN[2]).mismatched == ("full_name",)
    assert registry.verify("038090000001", "Ai Đó", date(1990, 1, 1)).status == Status.NOT_FOUND
    assert registry.verify("038090000500", "Ai Đó", date(1990, 1, 1)).status == Status.UNAVAILABLE
    settings.MOTCUA_REGISTRY_URL = "http://127.0.0.1:9/citizens"  # nothing listens there
    assert registry.verify(*AN).status == Status.UNAVAILABLE


def test_a_signup_the_registry_confirms_is_verified(db):
    user = services.register_citizen(citizen_signup())
    assert user.identity_method == IdentityMethod.REGISTRY and user.identity_verified


def test_a_signup_the_registry_contradicts_names_the_fields_and_creates_nothing(db):
    with pytest.raises(ValidationFailed) as exc_info:
        services.register_citizen(citizen_signup(full_name="Nguyen Van An"))
    assert [(e.field, e.rule) for e in exc_info.value.errors] == [("full_name", "registry_mismatch")]
    assert not User.objects.exists()


@pytest.mark.parametrize("registry_setting", ["off", "http"])
def test_a_signup_proceeds_unverified_when_the_registry_cannot_answer(db, settings, registry_setting):
    settings.MOTCUA_REGISTRY, settings.MOTCUA_REGISTRY_URL = registry_setting, "http://127.0.0.1:9/citizens"
    user = services.register_citizen(citizen_signup())
    assert user.pk and not user.identity_verified and user.identity_method == IdentityMethod.NONE


def test_an_unknown_number_signs_up_unverified(db):
    user = services.register_citizen(citizen_signup(national_id="001209099999"))
    assert not user.identity_verified


def test_the_signup_page_shows_a_registry_mismatch_on_the_field(db, client_en):
    from .test_pages import CITIZEN_FORM

    response = client_en.post("/account/signup/", {**CITIZEN_FORM, "full_name": "Nguyễn Văn Ân"})
    assert response.status_code == 422
    assert "not the one the population registry holds" in response.content.decode()
    assert not User.objects.exists()


def test_the_account_page_shows_whether_the_identity_is_verified(client, db, settings):
    user = services.register_citizen(citizen_signup())
    client.force_login(user)
    assert "badge verified" in client.get("/account/profile/").content.decode()
    settings.MOTCUA_REGISTRY = "off"
    other = services.register_citizen(citizen_signup(national_id="001209099999", email="b@example.vn",
                                                     username="other"))
    client.force_login(other)
    assert "badge unverified" in client.get("/account/profile/").content.decode()
