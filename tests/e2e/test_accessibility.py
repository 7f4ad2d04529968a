"""Accessibility: axe-core (the npm package, injected by Playwright into Debian's Chromium) finds no serious or critical
WCAG 2.1 A/AA violation on the key pages, in Vietnamese and English; at phone width nothing overflows sideways, and
the screenshots are kept in test-artifacts/ for a person to look at."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from motcua.dossiers.tests.conftest import api, first_registration  # noqa: F401 - api: the fixture
from motcua.opendata import services as opendata_services

from .conftest import screenshot
from .test_dossier_journey_browser import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}
RUN_AXE = """async () => {
  const tags = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'];
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
  return result.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
}"""


@pytest.fixture
def dossier(api, frozen_clock) -> str:  # noqa: F811 - the imported fixture
    """A dossier of citizen.demo, accepted by the one-stop desk (so it has a history and slips)."""
    citizen = api("citizen.demo")
    code = citizen.post("/api/v1/dossiers", first_registration(citizen)).json()["code"]
    assert api("onestop.demo").act(code, "accept").status_code == 200
    frozen_clock.advance(timedelta(hours=1))
    return code


def check(browser: Any, base: str, path: str, name: str, *, user: str | None, lang: str) -> list[str]:
    """axe's serious and critical violations of one page, desktop and phone width; a phone screenshot is saved."""
    problems = []
    for viewport in ({"width": 1280, "height": 900}, PHONE):
        # The page's own CSP forbids injected scripts; only the test's context bypasses it.
        context = browser.new_context(viewport=viewport, locale="vi-VN" if lang == "vi" else "en-US", bypass_csp=True)
        page = context.new_page()
        try:
            if user:
                log_in(page, base, user)
            page.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": base}])
            page.goto(base + path)
            page.add_script_tag(path=str(AXE))
            for v in page.evaluate(RUN_AXE):
                if v["impact"] in ("serious", "critical"):
                    problems.append(f"{path} [{lang} {viewport['width']}px] {v['id']} ({v['impact']}): {v['help']} "
                                    f"at {v['nodes']}")
            if viewport is PHONE:
                overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
                if overflow > 1:
                    problems.append(f"{path} [{lang} phone] overflows sideways by {overflow}px")
                screenshot(page, f"a11y-{name}-{lang}-phone")
        finally:
            context.close()
    return problems


def test_key_pages_have_no_serious_accessibility_violations(live_server, browser, dossier, settings) -> None:
    settings.LOGIN_RATE = (10_000, 60)  # one login per page and viewport, all from 127.0.0.1
    # The login page with its national identity (VNeID) button: only shown, no provider is contacted.
    settings.MOTCUA_OIDC_ISSUER, settings.MOTCUA_OIDC_CLIENT_ID = "http://127.0.0.1:9", "motcua"
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: `make test` installs it with npm ci (package.json)")
    base = live_server.url
    opendata_services.refresh_all()
    pages = [
        ("/", "home", None), ("/procedures/1.013133/", "procedure", None), ("/account/login/", "login", None),
        ("/account/signup/", "signup", None), ("/verify/", "verify", None),
        ("/procedures/1.013133/submit/", "submit", "citizen.demo"), ("/my/dossiers/", "my-dossiers", "citizen.demo"),
        (f"/my/dossiers/{dossier}/", "my-dossier", "citizen.demo"),
        ("/backoffice/", "inbox", "onestop.demo"), (f"/backoffice/dossiers/{dossier}/", "workspace", "handler.demo"),
        ("/petitions/", "petitions", None), ("/petitions/new/", "petition-new", None),
        ("/my/documents/", "my-documents", "citizen.demo"), ("/account/profile/", "profile", "citizen.demo"),
        ("/backoffice/index/", "index", "admin.demo"),
        ("/backoffice/dead-letters/", "dead-letters", "admin.demo"),
        ("/account/notifications/settings/", "notification-settings", "citizen.demo"),
        ("/data/", "open-data", None), ("/data/thu-tuc-hanh-chinh/", "open-dataset", None),
    ]
    problems: list[str] = []
    for lang in ("vi", "en"):
        for path, name, user in pages:
            problems += check(browser, base, path, name, user=user, lang=lang)
    assert problems == [], "\n" + "\n".join(problems)
