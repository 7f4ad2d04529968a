"""Writing the demo data: shared by `load_demo` and the tests' session fixtures."""

from __future__ import annotations

from motcua.identity.services import save_staff
from motcua.organization.models import Unit
from motcua.organization.services import assign_role, save_unit

from .data import DEMO_PASSWORD, STAFF, UNITS


def load_units_and_staff() -> dict[str, Unit]:
    """The demo unit tree and the staff accounts with their roles (idempotent); agency code -> unit."""
    units: dict[str, Unit] = {}
    for code, parent, level, name_vi, name_en, address, province in UNITS:
        units[code] = save_unit(agency_code=code, parent=units.get(parent) if parent else None, level=level,
                                name_vi=name_vi, name_en=name_en, address=address, province_code=province)
    for username, full_name, email, roles, superuser in STAFF:
        user = save_staff(username=username, full_name=full_name, email=email, password=DEMO_PASSWORD,
                          is_superuser=superuser)
        for role, unit_code in roles:
            assign_role(user, units[unit_code], role)
    return units
