import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django_otp import DEVICE_ID_SESSION_KEY

from motcua.identity import queries, services
from motcua.identity.models import AccountKind, User
from motcua.organization.services import assign_role, save_unit

from .conftest import PASSWORD, fresh_code

CITIZEN_FORM = {
    "kind": "citizen", "national_id": "001209012345", "full_name": "Nguyễn Văn An", "birth_date": "2009-03-15",
    "sex": "male", "phone": "0912345678", "email": "an.nguyen@example.vn", "address": "12 Đội Cấn, Hà Nội",
    "password": PASSWORD, "password_confirm": PASSWORD,
}
ORGANIZATION_FORM = {
    "kind": "organization", "tax_code": "0101234567-001", "organization_name": "Chi nhánh Công ty Hồng Hà",
    "organization_type": "enterprise", "representative": "Trần Thị Bích", "phone": "024 3823 4567",
    "email": "chinhanh@hongha.example.vn", "address": "45 Láng Hạ, Hà Nội", "password": PASSWORD,
    "password_confirm": PASSWORD,
}


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


# --- pages render ----------------------------------------------------------------------------------------------------

@pytest.mark.django_db
@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("url", ["/account/login/", "/account/signup/", "/account/signup/?kind=organization",
                                 "/account/password-reset/", "/account/password-reset/sent/"])
def test_account_pages_render_with_a_label_for_every_input(client, language, url):
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    html = response.content.decode()
    inputs = re.findall(r'<(?:input|select)\b[^>]*>', html)
    for tag in inputs:
        if 'type="hidden"' in tag:
            continue
        field_id = re.search(r'id="([^"]+)"', tag)
        assert field_id, tag
        assert f'for="{field_id.group(1)}"' in html, tag
    if url != "/account/password-reset/sent/":
        assert "autocomplete=" in html


@pytest.mark.django_db
def test_the_signup_page_switches_between_citizen_and_organization(client):
    citizen_page = client.get("/account/signup/").content.decode()
    assert 'name="national_id"' in citizen_page and 'name="tax_code"' not in citizen_page
    assert 'type="date"' in citizen_page
    organization_page = client.get("/account/signup/?kind=organization").content.decode()
    assert 'name="tax_code"' in organization_page and 'name="national_id"' not in organization_page
    assert 'name="kind" value="organization"' in organization_page


# --- sign-up ---------------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_a_citizen_signs_up_and_is_logged_in(client_en):
    response = client_en.post("/account/signup/", CITIZEN_FORM)
    assert response.status_code == 302 and response["Location"] == "/account/profile/"
    user = User.objects.get(national_id="001209012345")
    assert user.kind == AccountKind.CITIZEN and user.check_password(PASSWORD)
    assert logged_in_user_id(client_en) == str(user.pk)
    profile = client_en.get(response["Location"]).content.decode()
    assert "Your account is ready" in profile and "001209012345" in profile and "Nguyễn Văn An" in profile


@pytest.mark.django_db
def test_an_organization_signs_up_and_is_logged_in(client_en):
    response = client_en.post("/account/signup/", ORGANIZATION_FORM)
    assert response.status_code == 302
    user = User.objects.get(tax_code="0101234567-001")
    assert user.kind == AccountKind.ORGANIZATION and user.representative == "Trần Thị Bích"
    assert logged_in_user_id(client_en) == str(user.pk)


@pytest.mark.django_db
def test_a_bad_signup_shows_the_service_error_on_its_field_and_creates_nothing(client_en):
    response = client_en.post("/account/signup/", {**CITIZEN_FORM, "birth_date": "2008-03-14"})
    assert response.status_code == 422
    html = response.content.decode()
    error_list = re.search(r'<ul class="errorlist" id="id_national_id_error">(.*?)</ul>', html, re.S)
    assert error_list and "do not match the birth year" in error_list.group(1)
    assert re.search(r'<input[^>]*aria-describedby="[^"]*id_national_id_error[^"]*"', html)
    assert 'value="Nguyễn Văn An"' in html  # what was typed is kept
    assert not User.objects.exists()
    assert logged_in_user_id(client_en) is None


@pytest.mark.django_db
def test_a_signup_with_two_different_passwords_creates_nothing(client_en):
    response = client_en.post("/account/signup/", {**CITIZEN_FORM, "password_confirm": PASSWORD + "x"})
    assert response.status_code == 422
    assert "The two passwords are not the same." in response.content.decode()
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_weak_password_is_shown_on_the_password_field(client_en):
    response = client_en.post("/account/signup/", {**CITIZEN_FORM, "password": "12345678",
                                                    "password_confirm": "12345678"})
    assert response.status_code == 422
    assert re.search(r'id="id_password_error">.*?too common', response.content.decode(), re.S)
    assert not User.objects.exists()


@pytest.mark.django_db
def test_a_duplicate_id_number_is_refused(client_en, citizen):
    response = client_en.post("/account/signup/", {**CITIZEN_FORM, "email": "another@example.vn"})
    assert response.status_code == 422
    assert "An account with this identity number already exists." in response.content.decode()
    assert User.objects.count() == 1


# --- login and logout ------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_login_with_the_id_number(client, citizen):
    response = client.post("/account/login/", {"identifier": "001209012345", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/"  # LOGIN_REDIRECT_URL
    assert logged_in_user_id(client) == str(citizen.pk)


@pytest.mark.django_db
def test_login_goes_to_a_safe_next_only(client, citizen):
    response = client.post("/account/login/?next=/account/profile/",
                           {"identifier": "an.nguyen@example.vn", "password": PASSWORD})
    assert response["Location"] == "/account/profile/"
    client.post("/account/logout/")
    response = client.post("/account/login/", {"identifier": "001209012345", "password": PASSWORD,
                                               "next": "https://evil.example/phish"})
    assert response["Location"] == "/"


@pytest.mark.django_db
def test_the_login_page_keeps_the_next_parameter(client):
    html = client.get("/account/login/?next=/account/profile/").content.decode()
    assert 'name="next" value="/account/profile/"' in html
    html = client.get("/account/login/?next=https://evil.example/").content.decode()
    assert 'name="next" value="https://evil.example/"' not in html


@pytest.mark.django_db
def test_a_wrong_password_shows_an_error(client_en, citizen):
    response = client_en.post("/account/login/", {"identifier": "001209012345", "password": "wrong-one"})
    assert response.status_code == 401
    assert "The identifier or the password is wrong." in response.content.decode()
    assert logged_in_user_id(client_en) is None


@pytest.mark.django_db
def test_the_login_page_of_a_locked_account_says_so(client_en, citizen, frozen_clock):
    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        client_en.post("/account/login/", {"identifier": "001209012345", "password": "wrong-one"})
    response = client_en.post("/account/login/", {"identifier": "001209012345", "password": PASSWORD})
    assert response.status_code == 429
    assert "the account is locked for a while" in response.content.decode()
    assert logged_in_user_id(client_en) is None
    frozen_clock.advance(timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES))
    response = client_en.post("/account/login/", {"identifier": "001209012345", "password": PASSWORD})
    assert response.status_code == 302 and logged_in_user_id(client_en) == str(citizen.pk)


@pytest.mark.django_db
def test_logout_requires_post(client, citizen):
    client.force_login(citizen)
    assert client.get("/account/logout/").status_code == 405
    assert logged_in_user_id(client) == str(citizen.pk)
    response = client.post("/account/logout/")
    assert response.status_code == 302 and response["Location"] == "/"
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_a_logged_in_user_is_sent_from_signup_to_the_profile(client, citizen):
    client.force_login(citizen)
    assert client.get("/account/signup/")["Location"] == "/account/profile/"


# --- second factor at login ------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_staff_with_totp_log_in_in_two_steps(client_en, staff_with_totp):
    staff, device = staff_with_totp
    response = client_en.post("/account/login/?next=/account/profile/",
                              {"identifier": "canbo.hoa", "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/account/login/code/"
    assert logged_in_user_id(client_en) is None  # half-authenticated only
    page = client_en.get("/account/login/code/").content.decode()
    assert 'autocomplete="one-time-code"' in page

    wrong = "000000" if fresh_code(device) != "000000" else "111111"
    response = client_en.post("/account/login/code/", {"otp": wrong})
    assert response.status_code == 401 and "The authenticator code is wrong." in response.content.decode()
    assert User.objects.get(pk=staff.pk).failed_logins == 1
    assert logged_in_user_id(client_en) is None

    response = client_en.post("/account/login/code/", {"otp": fresh_code(device)})
    assert response.status_code == 302 and response["Location"] == "/account/profile/"
    assert logged_in_user_id(client_en) == str(staff.pk)
    assert client_en.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    profile = client_en.get("/account/profile/")
    assert profile.wsgi_request.user.is_verified()
    # The pending step is spent: going back to it asks for the password again.
    assert client_en.get("/account/login/code/")["Location"] == "/account/login/"


@pytest.mark.django_db
def test_the_code_step_expires(client, staff_with_totp, frozen_clock):
    _staff, device = staff_with_totp
    client.post("/account/login/", {"identifier": "canbo.hoa", "password": PASSWORD})
    frozen_clock.advance(timedelta(minutes=6))
    response = client.post("/account/login/code/", {"otp": fresh_code(device)})
    assert response.status_code == 302 and response["Location"] == "/account/login/"
    assert logged_in_user_id(client) is None


@pytest.mark.django_db
def test_the_code_step_without_a_password_first_goes_back_to_login(client):
    assert client.get("/account/login/code/")["Location"] == "/account/login/"


@pytest.mark.django_db
def test_wrong_codes_lock_the_account_from_the_code_step(client_en, staff_with_totp):
    _staff, device = staff_with_totp
    client_en.post("/account/login/", {"identifier": "canbo.hoa", "password": PASSWORD})
    wrong = "000000" if fresh_code(device) != "000000" else "111111"
    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        client_en.post("/account/login/code/", {"otp": wrong})
    response = client_en.post("/account/login/code/", {"otp": fresh_code(device)})
    assert response.status_code == 429
    assert "the account is locked for a while" in response.content.decode()
    assert logged_in_user_id(client_en) is None


# --- password reset --------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_password_reset_by_email(client, citizen):
    response = client.post("/account/password-reset/", {"email": "An.Nguyen@example.vn"})
    assert response.status_code == 302 and response["Location"] == "/account/password-reset/sent/"
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["an.nguyen@example.vn"]
    assert "Đặt lại mật khẩu" in message.subject and "Password reset" in message.subject
    assert "\n" not in message.subject
    link = re.search(r"http://testserver(/account/password-reset/[^/\s]+/[^/\s]+/)", message.body)
    assert link, message.body

    response = client.get(link.group(1))  # Django moves the token into the session and redirects
    assert response.status_code == 302
    set_password_url = response["Location"]
    assert "validlink" not in set_password_url
    page = client.get(set_password_url)
    assert page.status_code == 200 and 'name="new_password1"' in page.content.decode()
    new_password = "Sen-vang-2025?"
    response = client.post(set_password_url, {"new_password1": new_password, "new_password2": new_password})
    assert response.status_code == 302 and response["Location"] == "/account/password-reset/complete/"
    assert client.get(response["Location"]).status_code == 200

    assert services.login(None, "001209012345", new_password) == citizen
    with pytest.raises(services.LoginFailed):
        services.login(None, "001209012345", PASSWORD)
    # The link works once.
    assert client.get(link.group(1)).status_code == 200
    assert 'name="new_password1"' not in client.get(link.group(1), follow=True).content.decode()


@pytest.mark.django_db
def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client, citizen):
    response = client.post("/account/password-reset/", {"email": "nobody@example.vn"})
    assert response.status_code == 302 and response["Location"] == "/account/password-reset/sent/"
    assert mail.outbox == []


@pytest.mark.django_db
def test_a_password_reset_lifts_a_lockout(client, citizen, frozen_clock):
    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        with pytest.raises(services.LoginFailed):
            services.login(None, "001209012345", "wrong-one")
    client.post("/account/password-reset/", {"email": "an.nguyen@example.vn"})
    link = re.search(r"http://testserver(/account/password-reset/[^/\s]+/[^/\s]+/)", mail.outbox[0].body).group(1)
    set_password_url = client.get(link)["Location"]
    client.post(set_password_url, {"new_password1": "Sen-vang-2025?", "new_password2": "Sen-vang-2025?"})
    assert not queries.is_locked(User.objects.get(pk=citizen.pk))
    assert services.login(None, "001209012345", "Sen-vang-2025?") == citizen


# --- profile and authenticator setup ---------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_profile_needs_a_login(client):
    response = client.get("/account/profile/")
    assert response.status_code == 302 and response["Location"] == "/account/login/?next=/account/profile/"


@pytest.mark.django_db
def test_the_profile_of_an_organization(client_en, organization):
    client_en.force_login(organization)
    html = client_en.get("/account/profile/").content.decode()
    assert "0101234567" in html and "Trần Thị Bích" in html and "Enterprise" in html
    assert "/account/2fa/" not in html


@pytest.mark.django_db
def test_the_profile_of_staff_shows_roles_and_the_authenticator_link(client_en, staff):
    ministry = save_unit(agency_code="000.00.00.G11", name_vi="Bộ Quốc phòng", level="ministry")
    commune = save_unit(agency_code="000.05.12.H26", name_vi="Ban Chỉ huy Quân sự phường Ngọc Hà",
                        level="commune", parent=ministry)
    assign_role(staff, commune, "onestop")
    client_en.force_login(staff)
    html = client_en.get("/account/profile/").content.decode()
    assert "One-stop officer" in html and "Ban Chỉ huy Quân sự phường Ngọc Hà" in html and "000.05.12.H26" in html
    assert 'href="/account/2fa/"' in html and "Set up the authenticator app" in html


@pytest.mark.django_db
def test_applicants_get_403_on_the_authenticator_page(client, citizen):
    client.force_login(citizen)
    assert client.get("/account/2fa/").status_code == 403
    assert not queries.pending_totp(citizen)


@pytest.mark.django_db
def test_staff_set_up_the_authenticator_from_the_page(client_en, staff, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    client_en.force_login(staff)
    page = client_en.get("/account/2fa/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "&lt;svg" not in html
    secret = re.search(r'data-testid="totp-secret">([A-Z2-7 ]+)<', html).group(1)
    device = queries.pending_totp(staff)
    assert secret.replace(" ", "") == __import__("base64").b32encode(device.bin_key).decode()
    # Reloading shows the same secret (the device being set up is kept).
    assert secret in client_en.get("/account/2fa/").content.decode()

    response = client_en.post("/account/2fa/", {"otp": "12345x"})
    assert response.status_code == 422 and "The code does not match" in response.content.decode()
    assert not queries.has_totp(staff)

    response = client_en.post("/account/2fa/", {"otp": fresh_code(device)})
    assert response.status_code == 302 and response["Location"] == "/account/profile/"
    assert queries.has_totp(staff)
    profile = client_en.get("/account/profile/")
    assert "from now on, logging in asks for its code" in profile.content.decode()
    assert profile.wsgi_request.user.is_verified()

    client_en.post("/account/logout/")
    response = client_en.post("/account/login/", {"identifier": "canbo.hoa", "password": PASSWORD})
    assert response["Location"] == "/account/login/code/"
