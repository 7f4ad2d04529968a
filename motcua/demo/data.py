"""The demo ministry: a small tree of units and the demo accounts. Agency codes are illustrative."""

from __future__ import annotations

from datetime import date

DEMO_PASSWORD = "motcua-demo"  # noqa: S105 - demo data only, loaded only with MOTCUA_DEMO=1

# (agency_code, parent agency_code, level, name_vi, name_en, address, province_code)
UNITS = [
    ("000.00.00.G11", None, "ministry", "Bộ Quốc phòng", "Ministry of National Defence",
     "7 Nguyễn Tri Phương, Ba Đình, Hà Nội", ""),
    ("000.01.00.G11", "000.00.00.G11", "department", "Cục Quân lực, Bộ Tổng Tham mưu",
     "Department of Military Force, General Staff", "Hà Nội", ""),
    ("000.02.00.G11", "000.00.00.G11", "department", "Cục Quân y", "Military Medical Department", "Hà Nội", ""),
    ("000.00.01.H26", "000.00.00.G11", "department", "Bộ Chỉ huy Quân sự thành phố Hà Nội",
     "Hanoi Capital Military Command", "Hà Nội", "001"),
    ("000.05.00.H26", "000.00.01.H26", "district", "Ban Chỉ huy Quân sự quận Ba Đình",
     "Ba Dinh District Military Command", "Ba Đình, Hà Nội", "001"),
    ("000.05.12.H26", "000.05.00.H26", "commune", "Ban Chỉ huy Quân sự phường Ngọc Hà",
     "Ngoc Ha Ward Military Command", "25 Đội Cấn, phường Ngọc Hà, Hà Nội", "001"),
    ("000.00.01.H39", "000.00.00.G11", "department", "Bộ Chỉ huy Quân sự tỉnh Lạng Sơn",
     "Lang Son Provincial Military Command", "Lạng Sơn", "020"),
    ("000.03.00.H39", "000.00.01.H39", "district", "Ban Chỉ huy Quân sự huyện Cao Lộc",
     "Cao Loc District Military Command", "Cao Lộc, Lạng Sơn", "020"),
    ("000.03.07.H39", "000.03.00.H39", "commune", "Ban Chỉ huy Quân sự xã Đồng Đăng",
     "Dong Dang Commune Military Command", "Đồng Đăng, Lạng Sơn", "020"),
    ("000.00.02.H31", "000.00.00.G11", "department", "Bộ Chỉ huy Bộ đội Biên phòng thành phố Hải Phòng",
     "Hai Phong Border Guard Command", "Hải Phòng", "031"),
    ("000.07.00.H31", "000.00.02.H31", "district", "Đồn Biên phòng cửa khẩu cảng Hải Phòng",
     "Hai Phong Port Border Gate Station", "Cảng Hải Phòng", "031"),
]

BORDER_STATION = "000.07.00.H31"

DEMO_COMMUNE = "000.05.12.H26"

# username, full name, e-mail, [(role, agency_code)], superuser
STAFF = [
    ("onestop.demo", "Lê Thị Hoa", "onestop.demo@motcua.local", [("onestop", DEMO_COMMUNE)], False),
    ("handler.demo", "Phạm Văn Hùng", "handler.demo@motcua.local", [("handler", DEMO_COMMUNE)], False),
    ("leader.demo", "Hoàng Minh Đức", "leader.demo@motcua.local", [("leader", DEMO_COMMUNE)], False),
    ("admin.demo", "Quản trị hệ thống", "admin.demo@motcua.local",
     [("sysadmin", "000.00.00.G11"), ("unit_admin", "000.00.00.G11"), ("index_viewer", "000.00.00.G11")], True),
]

# username, national_id, full name, birth date, sex, phone, e-mail, address
CITIZENS = [
    ("citizen.demo", "001209012345", "Nguyễn Văn An", date(2009, 3, 15), "male", "0912345678",
     "nguyen.van.an@example.vn", "12 Hoàng Hoa Thám, phường Ngọc Hà, Hà Nội"),
    ("citizen2.demo", "001198054321", "Trần Thị Bình", date(1998, 11, 2), "female", "0987654321",
     "tran.thi.binh@example.vn", "40 Đội Cấn, phường Ngọc Hà, Hà Nội"),
]

# username, tax code, organization name, representative, e-mail, address (an enterprise: a shipping agent)
ORGANIZATIONS = [
    ("shipagent.demo", "0200123456", "Công ty TNHH Đại lý Tàu biển Hải An (minh họa)", "Vũ Văn Hải",
     "daily.taubien@example.vn", "Số 1 Hoàng Diệu, Hồng Bàng, Hải Phòng"),
]
