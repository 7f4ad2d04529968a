"""Fixtures of the portal page tests."""

from motcua.dossiers.tests.conftest import api  # noqa: F401 - demo accounts talking to the API, for these tests too
