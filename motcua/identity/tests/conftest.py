"""Accounts for the identity tests, made through the services as a real sign-up makes them."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client
from django_otp.oath import TOTP, hotp
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.identity import services
from motcua.identity.models import User
from motcua.identity.services import CitizenSignup, OrganizationSignup

PASSWORD = "Hoa-sen-2024!"


def citizen_signup(**changes: object) -> CitizenSignup:
    """A valid sign-up: a man born in 2009, registered in Hà Nội (province 001)."""
    data = {
        "national_id": "001209012345", "full_name": "Nguyễn Văn An", "birth_date": date(2009, 3, 15), "sex": "male",
        "phone": "0912 345 678", "email": "an.nguyen@example.vn", "address": "12 Đội Cấn, Ba Đình, Hà Nội",
        "password": PASSWORD,
    }
    data.update(changes)
    return CitizenSignup(**data)


def organization_signup(**changes: object) -> OrganizationSignup:
    data = {
        "tax_code": "0101234567", "organization_name": "Công ty TNHH Vận tải Hồng Hà",
        "organization_type": "enterprise", "representative": "Trần Thị Bích", "phone": "024 3823 4567",
        "email": "lienhe@hongha.example.vn", "address": "45 Láng Hạ, Đống Đa, Hà Nội", "password": PASSWORD,
    }
    data.update(changes)
    return OrganizationSignup(**data)


@pytest.fixture
def citizen(db: None) -> User:
    return services.register_citizen(citizen_signup())


@pytest.fixture
def organization(db: None) -> User:
    return services.register_organization(organization_signup())


@pytest.fixture
def staff(db: None) -> User:
    return services.save_staff(username="canbo.hoa", full_name="Lê Thị Hoa", email="hoa.le@bqp.example.vn",
                               password=PASSWORD)


def fresh_code(device: TOTPDevice) -> str:
    """A code `device` accepts now: the current one, or the next step's if the current one is spent.

    django-otp accepts each time step once (last_t) and tolerates one step of drift, so a test can log in again within
    the same 30 seconds with the next step's code.
    """
    device.refresh_from_db()
    now_t = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift).t()
    t = max(now_t, device.last_t + 1)
    return f"{hotp(device.bin_key, t, digits=device.digits):0{device.digits}d}"


@pytest.fixture
def staff_with_totp(staff: User, settings: object) -> tuple[User, TOTPDevice]:
    """A staff account with a confirmed authenticator (throttling off, so a wrong code does not delay the next)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    device = services.start_totp_setup(staff)
    services.confirm_totp(staff, fresh_code(device))
    device.refresh_from_db()
    return staff, device


@pytest.fixture
def client_en(client: Client) -> Client:
    """A browser asking for English pages, so tests can read the messages."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client
