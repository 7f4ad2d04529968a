from hypothesis import given
from hypothesis import strategies as st

from motcua.core.text import fold, search_terms


def test_fold_strips_vietnamese_diacritics_and_case():
    assert fold("Đăng ký nghĩa vụ quân sự lần đầu") == "dang ky nghia vu quan su lan dau"
    assert fold("  ĐỒNG   Đăng  ") == "dong dang"
    assert fold("Tạm vắng") == fold("TAM VANG")


def test_search_terms_are_folded_unique_words_in_order():
    assert search_terms("Đăng ký  dang KY nghĩa") == ["dang", "ky", "nghia"]
    assert search_terms("   ") == []


@given(st.text())
def test_fold_is_idempotent_and_lower_case(text):
    once = fold(text)
    assert fold(once) == once
    assert once == once.lower() or not once.isascii()
