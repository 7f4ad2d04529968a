from datetime import date

import pytest

from motcua.identity.validators import PROVINCE_CODES, citizen_id_errors, parse_citizen_id, tax_code_errors


def rules(errors):
    return [(error.field, error.rule) for error in errors]


def test_the_province_table_has_the_63_pre_2025_provinces():
    assert len(PROVINCE_CODES) == 63
    assert {"001", "079", "096"} <= PROVINCE_CODES
    assert not {"000", "003", "097"} & PROVINCE_CODES


def test_a_valid_number_of_a_man_born_in_2009():
    assert citizen_id_errors("001209012345", birth_date=date(2009, 3, 14), sex="male") == []
    decoded = parse_citizen_id("001209012345")
    assert (decoded.province_code, decoded.male, decoded.birth_year) == ("001", True, 2009)


def test_a_valid_number_of_a_woman_born_in_1985_in_ho_chi_minh_city():
    assert citizen_id_errors("079185004321", birth_date=date(1985, 12, 1), sex="female") == []
    decoded = parse_citizen_id("079185004321")
    assert (decoded.male, decoded.birth_year) == (False, 1985)


def test_a_number_is_checked_alone_when_birth_date_and_sex_are_unknown():
    assert citizen_id_errors("001209012345") == []


@pytest.mark.parametrize("number", ["00120901234", "0012090123456", "", "00120901234A", "001 209 012 345",
                                    "123456789"])
def test_a_number_must_have_exactly_12_digits(number):
    assert rules(citizen_id_errors(number)) == [("national_id", "format")]
    assert parse_citizen_id(number) is None


@pytest.mark.parametrize("number", ["000209012345", "097209012345", "003209012345", "099185004321"])
def test_the_first_three_digits_must_be_a_known_province(number):
    assert rules(citizen_id_errors(number)) == [("national_id", "province_code")]
    assert parse_citizen_id(number) is None


def test_the_birth_year_must_match_digits_4_to_6():
    assert rules(citizen_id_errors("001209012345", birth_date=date(2008, 3, 14))) == [("national_id", "birth_year")]
    # Same two digits, wrong century: digit 4 says 2000-2099.
    assert rules(citizen_id_errors("001209012345", birth_date=date(1909, 3, 14))) == [("national_id", "birth_year")]


def test_the_sex_must_match_digit_4():
    assert rules(citizen_id_errors("001209012345", sex="female")) == [("national_id", "sex")]
    assert rules(citizen_id_errors("079185004321", sex="male")) == [("national_id", "sex")]


def test_both_mismatches_are_reported_and_the_field_name_can_be_chosen():
    errors = citizen_id_errors("001209012345", birth_date=date(1990, 1, 1), sex="female", field="owner.id")
    assert rules(errors) == [("owner.id", "birth_year"), ("owner.id", "sex")]


@pytest.mark.parametrize("code", ["0101234567", "0101234567-001"])
def test_valid_tax_codes(code):
    assert tax_code_errors(code) == []


@pytest.mark.parametrize("code", ["12345", "", "01012345678", "0101234567-01", "0101234567001", "01012345A7"])
def test_invalid_tax_codes(code):
    assert rules(tax_code_errors(code)) == [("tax_code", "format")]
