from datetime import date, timedelta

import pytest
from django.conf import settings
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from motcua.core.errors import ValidationFailed
from motcua.identity import queries, services
from motcua.identity.models import AccountKind, User

from .conftest import PASSWORD, citizen_signup, fresh_code, organization_signup


def rules_of(exc_info):
    return [(error.field, error.rule) for error in exc_info.value.errors]


# --- sign-up ---------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_citizen_signs_up_with_the_id_number_as_username():
    user = services.register_citizen(citizen_signup())
    user.refresh_from_db()
    assert user.kind == AccountKind.CITIZEN
    assert user.username == user.national_id == "001209012345"
    assert (user.full_name, user.birth_date, user.sex) == ("Nguyễn Văn An", date(2009, 3, 15), "male")
    assert user.check_password(PASSWORD)
    assert user.is_applicant and not user.is_staff_member and not user.is_staff


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "expected"), [
    ({"national_id": "00120901234"}, ("national_id", "format")),
    ({"national_id": "097209012345"}, ("national_id", "province_code")),
    ({"birth_date": date(2008, 3, 14)}, ("national_id", "birth_year")),
    ({"sex": "female"}, ("national_id", "sex")),
    ({"sex": "other"}, ("sex", "choice")),
    ({"full_name": "   "}, ("full_name", "required")),
    ({"national_id": "001226012345", "birth_date": date(2026, 12, 1)}, ("birth_date", "past")),
    ({"email": "an.nguyen@"}, ("email", "format")),
    ({"phone": "0912-345"}, ("phone", "format")),
    ({"password": "12345678"}, ("password", "strength")),
    ({"password": "short"}, ("password", "strength")),
])
def test_each_citizen_rule(frozen_clock, changes, expected):
    with pytest.raises(ValidationFailed) as exc_info:
        services.register_citizen(citizen_signup(**changes))
    assert expected in rules_of(exc_info)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_all_broken_rules_are_reported_at_once():
    with pytest.raises(ValidationFailed) as exc_info:
        services.register_citizen(citizen_signup(full_name="", email="x", sex="female"))
    assert set(rules_of(exc_info)) >= {("full_name", "required"), ("email", "format"), ("national_id", "sex")}


@pytest.mark.django_db
def test_an_id_number_signs_up_once(citizen):
    with pytest.raises(ValidationFailed) as exc_info:
        services.register_citizen(citizen_signup(email="other@example.vn"))
    assert rules_of(exc_info) == [("national_id", "unique")]
    assert User.objects.count() == 1


@pytest.mark.django_db
def test_an_email_signs_up_once_whatever_its_case(citizen):
    with pytest.raises(ValidationFailed) as exc_info:
        services.register_citizen(citizen_signup(national_id="079185004321", birth_date=date(1985, 12, 1),
                                                 sex="female", email="AN.Nguyen@Example.VN"))
    assert rules_of(exc_info) == [("email", "unique")]


@pytest.mark.django_db
def test_an_id_number_taken_as_a_username_is_a_rule_error_not_a_crash():
    services.save_staff(username="001209012345", full_name="Cán bộ", email="cb@bqp.example.vn", password=PASSWORD)
    with pytest.raises(ValidationFailed) as exc_info:
        services.register_citizen(citizen_signup())
    assert rules_of(exc_info) == [("national_id", "unique")]


@pytest.mark.django_db
@pytest.mark.parametrize("tax_code", ["0101234567", "0101234567-001"])
def test_an_organization_signs_up_with_the_tax_code_as_username(tax_code):
    user = services.register_organization(organization_signup(tax_code=tax_code))
    user.refresh_from_db()
    assert user.kind == AccountKind.ORGANIZATION
    assert user.username == user.tax_code == tax_code
    assert user.display_name == "Công ty TNHH Vận tải Hồng Hà"
    assert user.national_id is None
    assert user.check_password(PASSWORD)


@pytest.mark.django_db
@pytest.mark.parametrize(("changes", "expected"), [
    ({"tax_code": "12345"}, ("tax_code", "format")),
    ({"organization_name": ""}, ("organization_name", "required")),
    ({"organization_type": "cooperative"}, ("organization_type", "choice")),
    ({"representative": " "}, ("representative", "required")),
    ({"email": "not-an-email"}, ("email", "format")),
    ({"password": "password"}, ("password", "strength")),
])
def test_each_organization_rule(changes, expected):
    with pytest.raises(ValidationFailed) as exc_info:
        services.register_organization(organization_signup(**changes))
    assert expected in rules_of(exc_info)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_tax_code_signs_up_once(organization):
    with pytest.raises(ValidationFailed) as exc_info:
        services.register_organization(organization_signup(email="khac@hongha.example.vn"))
    assert rules_of(exc_info) == [("tax_code", "unique")]


# --- login -----------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("identifier", ["001209012345", "an.nguyen@example.vn", "AN.NGUYEN@example.VN",
                                        " 001209012345 "])
def test_a_citizen_logs_in_with_id_number_or_email(citizen, identifier):
    assert services.login(None, identifier, PASSWORD) == citizen


@pytest.mark.django_db
def test_an_organization_logs_in_with_its_tax_code(organization):
    assert services.login(None, "0101234567", PASSWORD) == organization


@pytest.mark.django_db
def test_a_wrong_password_or_unknown_identifier_fails(citizen):
    with pytest.raises(services.LoginFailed):
        services.login(None, "001209012345", "wrong-password")
    with pytest.raises(services.LoginFailed):
        services.login(None, "079185004321", PASSWORD)
    citizen.refresh_from_db()
    assert citizen.failed_logins == 1


@pytest.mark.django_db
def test_a_deactivated_account_cannot_log_in(citizen):
    User.objects.filter(pk=citizen.pk).update(is_active=False)
    with pytest.raises(services.LoginFailed):
        services.login(None, "001209012345", PASSWORD)


@pytest.mark.django_db
def test_five_wrong_passwords_lock_the_account_until_the_lockout_has_passed(citizen, frozen_clock):
    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        with pytest.raises(services.LoginFailed):
            services.login(None, "an.nguyen@example.vn", "not-the-password")
    citizen.refresh_from_db()
    assert citizen.locked_until == frozen_clock.now() + timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    # Even the right password, with any identifier of the account, is refused while locked.
    for identifier in ("001209012345", "an.nguyen@example.vn"):
        with pytest.raises(services.AccountLocked):
            services.login(None, identifier, PASSWORD)
    frozen_clock.advance(timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES) - timedelta(seconds=1))
    with pytest.raises(services.AccountLocked):
        services.login(None, "001209012345", PASSWORD)
    frozen_clock.advance(timedelta(seconds=1))
    assert services.login(None, "001209012345", PASSWORD) == citizen
    citizen.refresh_from_db()
    assert (citizen.failed_logins, citizen.locked_until) == (0, None)


@pytest.mark.django_db
def test_a_success_resets_the_failure_count(citizen, frozen_clock):
    for _attempt in range(settings.LOGIN_MAX_FAILURES - 1):
        with pytest.raises(services.LoginFailed):
            services.login(None, "001209012345", "nope-nope")
    services.login(None, "001209012345", PASSWORD)
    with pytest.raises(services.LoginFailed):
        services.login(None, "001209012345", "nope-nope")
    citizen.refresh_from_db()
    assert citizen.failed_logins == 1 and citizen.locked_until is None


@pytest.mark.django_db
def test_unlock_lifts_a_lockout(citizen, organization, frozen_clock):
    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        with pytest.raises(services.LoginFailed):
            services.login(None, "001209012345", "nope-nope")
    assert queries.is_locked(User.objects.get(pk=citizen.pk))
    assert services.unlock(User.objects.filter(pk__in=[citizen.pk, organization.pk])) == 1
    assert services.login(None, "001209012345", PASSWORD) == citizen


# --- API tokens ------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_token_identifies_its_user_until_it_expires(citizen, frozen_clock):
    raw, token = services.issue_token(citizen)
    assert token.key_hash != raw and len(raw) >= 40
    assert queries.user_for_token(raw) == citizen
    assert queries.user_for_token(raw + "x") is None
    frozen_clock.advance(timedelta(seconds=settings.API_TOKEN_TTL_SECONDS))
    assert queries.user_for_token(raw) is None


# --- second factor ---------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_staff_set_up_totp_and_then_need_the_code_to_log_in(staff):
    assert services.login(None, "canbo.hoa", PASSWORD) == staff  # no device yet: password alone
    device = services.start_totp_setup(staff)
    assert not device.confirmed and not queries.has_totp(staff)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    confirmed = services.confirm_totp(staff, f"{code:06d}")
    assert confirmed.pk == device.pk and confirmed.confirmed and queries.has_totp(staff)

    with pytest.raises(services.SecondFactorRequired):
        services.login(None, "canbo.hoa", PASSWORD)
    with pytest.raises(services.LoginFailed):
        services.login(None, "canbo.hoa", "wrong-password", fresh_code(device))
    assert services.login(None, "hoa.le@bqp.example.vn", PASSWORD, fresh_code(device)) == staff


@pytest.mark.django_db
def test_a_totp_code_is_accepted_once(staff_with_totp):
    staff, device = staff_with_totp
    code = fresh_code(device)
    assert services.login(None, "canbo.hoa", PASSWORD, code) == staff
    with pytest.raises(services.LoginFailed):
        services.login(None, "canbo.hoa", PASSWORD, code)


@pytest.mark.django_db
def test_a_wrong_setup_code_does_not_confirm(staff):
    services.start_totp_setup(staff)
    with pytest.raises(ValidationFailed) as exc_info:
        services.confirm_totp(staff, "000000x")
    assert rules_of(exc_info) == [("otp", "totp")]
    assert not queries.has_totp(staff)


@pytest.mark.django_db
def test_a_new_setup_replaces_the_old_device_only_when_confirmed(staff_with_totp):
    staff, old = staff_with_totp
    new = services.start_totp_setup(staff)
    assert queries.pending_totp(staff) == new
    assert queries.has_totp(staff)  # the old device still guards logins
    services.confirm_totp(staff, fresh_code(new))
    assert list(TOTPDevice.objects.filter(user=staff).values_list("pk", flat=True)) == [new.pk]


@pytest.mark.django_db
def test_applicants_do_not_set_up_totp(citizen):
    with pytest.raises(ValidationFailed) as exc_info:
        services.start_totp_setup(citizen)
    assert rules_of(exc_info) == [("user", "staff_only")]


@pytest.mark.django_db
def test_wrong_codes_count_as_failed_logins_and_lock(staff_with_totp, frozen_clock):
    staff, device = staff_with_totp
    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        with pytest.raises(services.LoginFailed):
            services.login_second_factor(staff, "000000" if fresh_code(device) != "000000" else "111111")
    with pytest.raises(services.AccountLocked):
        services.login_second_factor(staff, fresh_code(device))
    with pytest.raises(services.AccountLocked):
        services.login(None, "canbo.hoa", PASSWORD, fresh_code(device))


@pytest.mark.django_db
def test_the_second_step_returns_the_device_and_resets_failures(staff_with_totp):
    staff, device = staff_with_totp
    with pytest.raises(services.LoginFailed):
        services.login(None, "canbo.hoa", "wrong-password")
    assert services.login_second_factor(staff, fresh_code(device)) == device
    staff.refresh_from_db()
    assert staff.failed_logins == 0
