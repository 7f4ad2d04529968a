"""Open data fixtures: the demo units and catalog with a simulated year of dossiers, published."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from motcua.opendata import services


@pytest.fixture
def simulated(demo):
    """A small simulated year (2024) of dossiers over the demo units and catalog."""
    call_command("simulate", "--profile", "mod-2024", "--scale", "0.002", "--seed", "3", stdout=StringIO())


@pytest.fixture
def published(simulated):
    """Every dataset published from the simulated data."""
    return services.refresh_all()
