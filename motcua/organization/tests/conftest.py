import pytest

from motcua.organization import services


@pytest.fixture
def tree():
    ministry = services.save_unit(agency_code="000.00.00.G11", name_vi="Bộ Quốc phòng", level="ministry")
    province = services.save_unit(agency_code="000.00.01.H26", name_vi="Bộ CHQS Hà Nội", level="department",
                                  parent=ministry)
    district = services.save_unit(agency_code="000.05.00.H26", name_vi="Ban CHQS quận", level="district",
                                  parent=province)
    commune = services.save_unit(agency_code="000.05.12.H26", name_vi="Ban CHQS phường", level="commune",
                                 parent=district)
    other = services.save_unit(agency_code="000.00.01.H39", name_vi="Bộ CHQS Lạng Sơn", level="department",
                               parent=ministry)
    other_commune = services.save_unit(agency_code="000.07.03.H39", name_vi="Ban CHQS xã", level="commune",
                                       parent=other)
    return {"ministry": ministry, "province": province, "district": district, "commune": commune, "other": other,
            "other_commune": other_commune}
