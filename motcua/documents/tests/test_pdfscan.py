import zlib

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from motcua.documents.pdfscan import PdfScanner

from .conftest import make_pdf, object_stream, pdf_stream


def scan(data: bytes, step: int | None = None, **options) -> PdfScanner:
    scanner = PdfScanner(**options)
    step = step or len(data) or 1
    for start in range(0, len(data), step):
        scanner.feed(data[start:start + step])
    scanner.close()
    return scanner


# Every test feeds the whole file at once, one byte at a time, and in odd-sized chunks: a name, keyword, escape or
# stream boundary cut anywhere must give the same answer.
STEPS = [None, 1, 2, 3, 7, 64]


def found(data: bytes) -> set[str]:
    answers = [(frozenset(s.found), s.unverifiable) for s in (scan(data, step) for step in STEPS)]
    assert len(set(answers)) == 1, answers
    return set(answers[0][0])


def test_a_plain_pdf_has_nothing():
    assert found(make_pdf()) == set()


@pytest.mark.parametrize("objects, names", [
    ((b"<< /S /JavaScript /JS (app.alert\\(1\\)) >>",), {"JavaScript", "JS"}),
    ((b"<< /S /Launch /F (calc.exe) >>",), {"Launch"}),
    ((b"<< /Type /EmbeddedFile /Length 0 >>",), {"EmbeddedFile"}),
    ((b"<< /Names << /EmbeddedFiles 6 0 R >> >>",), {"EmbeddedFiles"}),
    # Names may spell characters as #xx.
    ((b"<< /S /J#61vaScript /J#53 (x) >>",), {"JavaScript", "JS"}),
    ((b"<</S/JavaScript/JS(x)>>",), {"JavaScript", "JS"}),
])
def test_active_names_are_found(objects, names):
    assert found(make_pdf(catalog=b"/OpenAction 5 0 R ", objects=objects)) == names


def test_names_that_only_start_like_active_ones_are_not_active():
    assert found(make_pdf(catalog=b"/JSON 1 /JSX 2 /Launcher 3 /JavaScripts 4 ")) == set()


def test_strings_comments_and_stream_data_are_not_names():
    pdf = make_pdf(
        catalog=b"/Title (about /JavaScript and /JS \\) still a string /Launch) ",
        objects=(b"% a comment with /JS in it\n<< /Producer (x) >>",
                 pdf_stream(b"\xff\xd8 binary /JS /Launch ( /JavaScript \xff\xd9", b"/Subtype /Image ")),
        content=b"BT (/JS) Tj ET",
    )
    assert found(pdf) == set()


def test_a_compressed_object_stream_is_inflated_and_scanned():
    pdf = make_pdf(objects=(object_stream([b"<< /Type /Annot >>", b"<< /S /Launch /F (calc.exe) >>"]),))
    assert b"Launch" not in pdf  # only visible once inflated
    assert found(pdf) == {"Launch"}


def test_an_object_stream_that_hides_its_type_is_still_inflated():
    data = zlib.compress(b"10 0 << /S /JavaScript /JS (x) >>")
    pdf = make_pdf(objects=(pdf_stream(data, b"/Subtype /Image /N 1 /First 5 /Filter /FlateDecode "),))
    assert found(pdf) == {"JavaScript", "JS"}


def test_an_object_stream_with_a_filter_not_decoded_is_unverifiable():
    data = zlib.compress(b"10 0 << /S /JavaScript >>").hex().encode() + b">"
    pdf = make_pdf(objects=(pdf_stream(data, b"/Type /ObjStm /N 1 /First 5 /Filter [/ASCIIHexDecode /FlateDecode] "),))
    assert scan(pdf).unverifiable
    assert scan(pdf, 3).unverifiable


def test_an_encrypted_or_damaged_object_stream_is_unverifiable():
    dictionary = b"/Type /ObjStm /N 1 /First 5 /Filter /FlateDecode "
    pdf = make_pdf(objects=(pdf_stream(b"\x93\x11garbage-not-zlib", dictionary),))
    assert scan(pdf).unverifiable
    assert not scan(make_pdf(objects=(object_stream([b"<< >>"]),))).unverifiable


def test_inflating_is_bounded_by_the_budget():
    bomb = make_pdf(objects=(object_stream([b"<< /Filler (" + b"0" * 200_000 + b") >>"]),))
    assert len(bomb) < 5_000
    assert scan(bomb, inflate_budget=50_000).unverifiable
    assert not scan(bomb, inflate_budget=1_000_000).unverifiable


def test_an_unbalanced_string_cannot_hide_the_next_object():
    # Readers reach object 6 by its xref offset whatever object 5 holds.
    pdf = make_pdf(objects=(b"<< /Title (never closed >>", b"<< /S /JavaScript >>"))
    assert found(pdf) == {"JavaScript"}


def test_a_stray_stream_keyword_cannot_hide_the_next_object():
    pdf = make_pdf(objects=(b"<< >> stream\n", b"<< /S /Launch >>"))
    assert found(pdf) == {"Launch"}


def test_a_name_longer_than_the_carry_is_not_mistaken_for_another():
    # A keyword-like run held back across chunks must not turn into `stream` and swallow what follows.
    pdf = make_pdf(objects=(b"<< /K " + b"x" * 5000 + b"stream\n /S /Launch >>",))
    assert found(pdf) == {"Launch"}


_PIECES = [b"endstream", b"obj", b" ", b"\n", b"1", b"12", b"0", b"x", b"/", b"(", b"\x00", b"endobj", b"stream"]


@hypothesis_settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_PIECES) | st.binary(max_size=3), max_size=30), st.integers(0, 40))
def test_the_fast_stream_search_finds_what_the_pattern_finds(pieces, position):
    from motcua.documents.pdfscan import _STREAM, _stream_event

    buffer = b"".join(pieces)
    position = min(position, len(buffer))
    match = _STREAM.search(buffer, position)
    expected = None if match is None else (match.start(), match.end() if match.group("end") else match.start())
    assert _stream_event(buffer, position) == expected
