"""Sample inputs of the demo catalog, shared by tests, benchmarks and the demo walk-through (no Django needed)."""

# The smallest well-formed PDF: a catalog, an empty page tree, a trailer and the end-of-file marker.
MINIMAL_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
               b"trailer<</Root 1 0 R>>\n%%EOF\n")

# A valid e-form of 1.013133 (first-time military service registration) for citizen.demo.
FIRST_REGISTRATION_FORM = {
    "ho_ten": "Nguyễn Văn An", "ngay_sinh": "2009-03-15", "so_cccd": "001209012345",
    "noi_thuong_tru": "12 Hoàng Hoa Thám, phường Ngọc Hà, Hà Nội", "trinh_do_hoc_van": "thpt",
    "nghe_nghiep": "Học sinh",
}
