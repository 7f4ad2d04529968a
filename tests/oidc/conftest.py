from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .provider import Provider, running_provider


@pytest.fixture(scope="module")
def provider() -> Iterator[Provider]:
    """The OIDC provider for Django's test client (host `testserver`)."""
    with running_provider(["http://testserver/account/oidc/callback/"], ["http://testserver/"]) as running:
        yield running


@pytest.fixture
def oidc_on(provider: Provider, settings: Any, client: Any) -> Provider:
    """Logins through `provider`; the test client reads English pages (the tests check the messages)."""
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    for name, value in provider.settings().items():
        setattr(settings, name, value)
    return provider
