import pytest
from django.conf import settings

from motcua.identity.models import User

from .conftest import PASSWORD, fresh_code


def post_token(client, **body):
    return client.post("/api/v1/auth/token", body, content_type="application/json")


@pytest.mark.django_db
def test_a_token_for_the_right_password(client, citizen):
    response = post_token(client, username="001209012345", password=PASSWORD)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"} and body["scope"] == "*"
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.API_TOKEN_TTL_SECONDS
    assert len(body["access_token"]) >= 40


@pytest.mark.django_db
def test_a_wrong_password_gets_401_with_the_error_body(client, citizen):
    response = post_token(client, username="an.nguyen@example.vn", password="wrong-one")
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "invalid_credentials"
    assert body["message_en"] == "The identifier or the password is wrong."
    assert body["message_vi"] and body["message"] and body["errors"] == []
    assert User.objects.get(pk=citizen.pk).failed_logins == 1


@pytest.mark.django_db
def test_a_locked_account_gets_429(client, citizen, frozen_clock):
    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        assert post_token(client, username="001209012345", password="wrong-one").status_code == 401
    response = post_token(client, username="001209012345", password=PASSWORD)
    assert response.status_code == 429
    assert response.json()["error"] == "account_locked"


@pytest.mark.django_db
def test_staff_with_totp_need_the_code(client, staff_with_totp):
    _staff, device = staff_with_totp
    response = post_token(client, username="canbo.hoa", password=PASSWORD)
    assert response.status_code == 401
    assert response.json()["error"] == "otp_required"
    response = post_token(client, username="canbo.hoa", password=PASSWORD, otp=fresh_code(device))
    assert response.status_code == 200 and response.json()["token_type"] == "bearer"


@pytest.mark.django_db
def test_a_missing_field_is_a_422_naming_it(client):
    response = post_token(client, username="001209012345")
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["password"]


@pytest.mark.django_db
def test_me_with_the_token(client, citizen):
    token = post_token(client, username="001209012345", password=PASSWORD).json()["access_token"]
    response = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200
    body = response.json()
    assert body["national_id"] == "001209012345"
    assert body["kind"] == "citizen"
    assert body["birth_date"] == "2009-03-15"
    assert body["roles"] == [] and body["totp_enabled"] is False


@pytest.mark.django_db
def test_me_of_an_organization(client, organization):
    token = post_token(client, username="0101234567", password=PASSWORD).json()["access_token"]
    body = client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert (body["kind"], body["tax_code"], body["national_id"]) == ("organization", "0101234567", None)


@pytest.mark.django_db
@pytest.mark.parametrize("authorization", ["Bearer garbage-token", "Bearer ", "Basic dXNlcjpwYXNz", None])
def test_me_without_a_valid_token_is_401(client, citizen, authorization):
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = client.get("/api/v1/me", **headers)
    assert response.status_code == 401
    assert response.json()["error"] == "unauthorized"
