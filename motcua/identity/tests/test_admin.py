from datetime import date

import pytest
from django.conf import settings

from motcua.identity import queries, services
from motcua.identity.admin import UserChangeForm
from motcua.identity.models import User

from .conftest import PASSWORD


@pytest.fixture
def superuser(db):
    return services.save_staff(username="quantri", full_name="Quản trị", email="qt@bqp.example.vn",
                               password=PASSWORD, is_superuser=True)


@pytest.mark.django_db
def test_the_admin_lists_and_shows_accounts(client, superuser, citizen, organization):
    client.force_login(superuser)
    listing = client.get("/admin/identity/user/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "001209012345" in html and "0101234567" in html
    assert client.get(f"/admin/identity/user/{citizen.pk}/change/").status_code == 200
    assert client.get("/admin/identity/user/add/").status_code == 200


@pytest.mark.django_db
def test_the_unlock_action(client, superuser, citizen, frozen_clock):
    for _attempt in range(settings.LOGIN_MAX_FAILURES):
        with pytest.raises(services.LoginFailed):
            services.login(None, "001209012345", "wrong-one")
    assert queries.is_locked(User.objects.get(pk=citizen.pk))
    client.force_login(superuser)
    response = client.post("/admin/identity/user/", {"action": "unlock_accounts", "_selected_action": [citizen.pk]},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    citizen.refresh_from_db()
    assert (citizen.failed_logins, citizen.locked_until) == (0, None)
    assert services.login(None, "001209012345", PASSWORD) == citizen
    listing = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "1 account was locked and is now unlocked." in listing


def test_the_admin_form_checks_identity_numbers(citizen):
    data = {"username": citizen.username, "kind": "citizen", "national_id": "001209012345",
            "birth_date": date(1990, 1, 1), "sex": "male", "date_joined": citizen.date_joined, "full_name": "A",
            "tax_code": "12345"}
    form = UserChangeForm(data, instance=citizen)
    assert not form.is_valid()
    assert "national_id" in form.errors and "tax_code" in form.errors


def test_the_admin_form_stores_blank_numbers_as_null(organization):
    form = UserChangeForm({"username": organization.username, "kind": "organization", "tax_code": "0101234567",
                           "national_id": "", "date_joined": organization.date_joined}, instance=organization)
    assert form.is_valid(), form.errors
    assert form.cleaned_data["national_id"] is None


@pytest.mark.django_db
def test_the_admin_login_is_the_account_login(client, citizen):
    response = client.get("/admin/")
    assert response.status_code == 302
    response = client.get(response["Location"])
    assert response.status_code == 302 and response["Location"] == "/account/login/?next=/admin/"
    client.force_login(citizen)  # an applicant is not let into the admin
    assert client.get("/admin/login/?next=/admin/").status_code == 403
