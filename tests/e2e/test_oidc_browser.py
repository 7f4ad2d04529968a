"""An OIDC login in a real browser: our login page, the provider's login and consent pages (npm `oidc-provider` on
loopback, tests/oidc/provider.js), back logged in as the verified citizen; then logout here and at the provider."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator

import pytest

from motcua.identity import services
from motcua.identity.models import IdentityMethod, User
from motcua.identity.oidc import origin
from motcua.identity.tests.conftest import citizen_signup
from tests.oidc.provider import Provider, running_provider

from .conftest import screenshot

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


@pytest.fixture(scope="module")
def browser_provider(live_server) -> Iterator[Provider]:
    with running_provider([live_server.url + "/account/oidc/callback/"], [live_server.url + "/"]) as running:
        yield running


def test_a_citizen_logs_in_with_the_national_identity_provider(live_server, browser_provider, settings, page):
    from playwright.sync_api import expect

    for name, value in browser_provider.settings().items():
        setattr(settings, name, value)
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(origin(browser_provider.issuer))
    settings.CONTENT_SECURITY_POLICY = policy
    settings.MOTCUA_REGISTRY = "off"  # the account is not verified before: the provider verifies it
    citizen = services.register_citizen(citizen_signup())
    assert not citizen.identity_verified

    page.goto(live_server.url + "/account/login/?next=/account/profile/")
    screenshot(page, "oidc-login-page")
    page.get_by_test_id("oidc-login").click()
    # The provider's own pages (devInteractions): any password; the login name picks the demo account.
    page.wait_for_url(re.compile(re.escape(browser_provider.issuer) + r"/interaction/"))
    page.fill("input[name='login']", "an")
    page.fill("input[name='password']", "any password")
    page.get_by_role("button", name="Sign-in").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(live_server.url + "/account/profile/")
    badge = page.get_by_test_id("identity-status")
    expect(badge.locator(".badge.verified")).to_be_visible()
    assert "001209012345" in page.content()
    screenshot(page, "oidc-logged-in-profile")
    citizen.refresh_from_db()
    assert citizen.identity_method == IdentityMethod.OIDC and User.objects.count() == 1

    page.locator("form[action='/account/logout/'] button").click()
    page.wait_for_url(re.compile(re.escape(browser_provider.issuer) + r"/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(live_server.url + "/")
    page.goto(live_server.url + "/account/profile/")
    assert "/account/login/" in page.url  # logged out here
