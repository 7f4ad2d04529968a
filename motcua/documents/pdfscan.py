"""A streaming check of a PDF's bytes for active content: scripts, launch actions, embedded files.

`PdfScanner` is fed the file in chunks of any size (a name, keyword or escape may be cut anywhere) and collects the
active-content *name objects* it meets (`/JavaScript`, `/JS`, `/Launch`, `/EmbeddedFile(s)`), written plainly or with
`#xx` escapes (`/J#61vaScript`). It is a lexer, not a parser, made to avoid the two ways a plain byte search fails:

- false alarms: the bytes of streams (images, fonts: binary data where `/JS ` turns up by chance in a few percent of
  large scans) and the text of strings and comments are not names, so they are skipped;
- hiding places: dictionaries packed into object streams are inflated and scanned (any stream with `/Type /ObjStm`,
  or with the `/N` and `/First` keys readers need to parse one, whatever its `/Type` says), and a string or stream that
  never ends cannot swallow the objects after it: the lexer resyncs on the next `N G obj` header, as readers do when
  they jump to objects by their xref offsets.

An object stream that cannot be read (another filter, encrypted or damaged data, inflating past the budget) sets
`unverifiable`: the caller refuses the file rather than accept what it could not check. This is a screen for
uploads, not a sanitizer: what is accepted is still only ever served as an attachment.
"""

from __future__ import annotations

import re
import zlib

ACTIVE_NAMES = frozenset({"JavaScript", "JS", "Launch", "EmbeddedFile", "EmbeddedFiles"})

_DELIMITERS = b"\x00\t\n\x0c\r ()<>[]{}/%"
_REGULAR_BYTES = frozenset(set(range(256)) - set(_DELIMITERS))
_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_SPACE = rb"[\x00\t\n\x0c\r ]"

# Outside strings, comments and stream data: names, the starts of strings and comments, and the keywords that matter.
_CODE = re.compile(
    rb"/" + _REGULAR + rb"*|[(%]|(?<!" + _REGULAR + rb")(?:endobj|obj|stream)(?!" + _REGULAR + rb")"
)
_HEADER = rb"(?<!" + _REGULAR + rb")\d{1,10}" + _SPACE + rb"{1,4}\d{1,5}" + _SPACE + rb"{1,4}obj(?!" + _REGULAR + rb")"
_STRING = re.compile(rb"(?P<char>[()\\])|(?P<header>" + _HEADER + rb")")
_STREAM = re.compile(rb"(?P<end>endstream)|(?P<header>" + _HEADER + rb")")  # the rule; _stream_event is its fast form
_HEADER_RE = re.compile(_HEADER)
_HEADER_REACH = 10 + 4 + 5 + 4  # the most bytes of a header before its `obj`
_OBJ = re.compile(rb"obj")  # sre's literal search beats bytes.find for this short needle on binary data
_EOL = re.compile(rb"[\r\n]")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")

_LOOKAHEAD = 32  # longer than any match of _STRING or _STREAM, so none is missed across chunks
_MAX_TOKEN = 1024  # a name or keyword longer than this is none of ours: keep a stand-in, not its bytes
_INFLATE_STEP = 1 << 20

_FLATE = frozenset({"FlateDecode", "Fl"})
_FILTERS = frozenset({
    "ASCIIHexDecode", "AHx", "ASCII85Decode", "A85", "LZWDecode", "LZW", "FlateDecode", "Fl", "RunLengthDecode", "RL",
    "CCITTFaxDecode", "CCF", "JBIG2Decode", "DCTDecode", "DCT", "JPXDecode", "Crypt",
})
# The names of a stream's dictionary that decide how its data is treated; others are not kept.
_TRACKED = _FILTERS | {"ObjStm", "N", "First"}

_CODE_MODE, _STRING_MODE, _COMMENT_MODE, _STREAM_MODE = range(4)


def _stream_event(buffer: bytes, position: int) -> tuple[int, int] | None:
    """The first match of _STREAM in `buffer` from `position`, as (start, where the lexer resumes), found with
    bytes.find on `endstream` and `obj` (fast over megabytes of image data) instead of trying the pattern at every
    byte; a header is confirmed by _HEADER around each `obj`. None when there is none."""
    end = buffer.find(b"endstream", position)
    stop = len(buffer) if end < 0 else end
    obj = _OBJ.search(buffer, position)
    found = obj.start() if obj is not None else -1
    while found >= 0 and found - _HEADER_REACH < stop:
        match = _HEADER_RE.search(buffer, max(position, found - _HEADER_REACH), found + 4)
        if match is not None:
            if match.start() < stop:
                return match.start(), match.start()
            break
        obj = _OBJ.search(buffer, found + 1)
        found = obj.start() if obj is not None else -1
    return (end, end + len(b"endstream")) if end >= 0 else None


class _Budget:
    def __init__(self, left: int) -> None:
        self.left = left


class PdfScanner:
    """Feed a PDF's bytes with `feed(chunk)`, then `close()`; read `found` (active names met) and `unverifiable`."""

    def __init__(self, *, inflate_budget: int = 64 << 20, _budget: _Budget | None = None,
                 _nested: bool = False) -> None:
        self.found: set[str] = set()
        self.unverifiable = False
        self._budget = _budget or _Budget(inflate_budget)
        self._nested = _nested  # scanning inflated object-stream data: no streams in there
        self._buffer = b""
        self._mode = _CODE_MODE
        self._depth = 0  # nesting of parentheses in a string
        self._names: set[str] = set()  # tracked names of the current object's dictionary
        self._closed = False
        # The stream being read.
        self._object_stream = False
        self._plan = ""  # "skip", "flate", "raw" or "sniff" (decide from the first bytes)
        self._eol = 0  # 2: the EOL after `stream` not yet seen, 1: a CR seen (an LF may follow), 0: in the data
        self._head = b""
        self._declared_flate = False
        self._inflater: zlib._Decompress | None = None
        self._child: PdfScanner | None = None

    def feed(self, data: bytes) -> None:
        if self._closed:
            raise ValueError("feed() after close()")
        self._buffer = self._buffer + data if self._buffer else data
        self._run(final=False)

    def close(self) -> None:
        if not self._closed:
            self._run(final=True)
            if self._mode == _STREAM_MODE:
                self._end_stream()
            self._closed = True

    # The lexer: each mode consumes what it can and says whether it needs more bytes.

    def _run(self, *, final: bool) -> None:
        buffer, position = self._buffer, 0
        while True:
            if self._mode == _CODE_MODE:
                position, wait = self._code(buffer, position, final)
            elif self._mode == _STRING_MODE:
                position, wait = self._string(buffer, position, final)
            elif self._mode == _COMMENT_MODE:
                position, wait = self._comment(buffer, position)
            else:
                position, wait = self._stream(buffer, position, final)
            if wait:
                break
        rest = buffer[position:]
        if len(rest) > _MAX_TOKEN and self._mode == _CODE_MODE:
            rest = b"/\x7f" if rest[:1] == b"/" else b"\x7f"
        self._buffer = rest

    def _code(self, buffer: bytes, position: int, final: bool) -> tuple[int, bool]:
        cut = len(buffer)
        if not final:
            # Hold back a name or keyword that the next chunk may continue.
            while cut > position and buffer[cut - 1] in _REGULAR_BYTES:
                cut -= 1
            if cut > position and buffer[cut - 1] == 0x2F:
                cut -= 1
        while True:
            match = _CODE.search(buffer, position, cut)
            if match is None:
                return cut, True
            token, position = match.group(), match.end()
            if token == b"(":
                self._mode, self._depth = _STRING_MODE, 1
                return position, False
            if token == b"%":
                self._mode = _COMMENT_MODE
                return position, False
            if token[0] == 0x2F:
                self._name(token[1:])
            elif token in (b"obj", b"endobj"):
                self._names = set()
            elif not self._nested:  # stream
                self._begin_stream()
                return position, False

    def _string(self, buffer: bytes, position: int, final: bool) -> tuple[int, bool]:
        limit = len(buffer) if final else len(buffer) - _LOOKAHEAD
        while True:
            match = _STRING.search(buffer, position)
            if match is None or match.start() >= limit:
                return (len(buffer) if final else max(position, limit)), True
            if match.group("header"):
                self._mode, self._depth = _CODE_MODE, 0  # an unbalanced string must not hide the next object
                return match.start(), False
            char, position = match.group("char"), match.end()
            if char == b"\\":
                position += 1
            elif char == b"(":
                self._depth += 1
            else:
                self._depth -= 1
                if self._depth == 0:
                    self._mode = _CODE_MODE
                    return position, False

    def _comment(self, buffer: bytes, position: int) -> tuple[int, bool]:
        match = _EOL.search(buffer, position)
        if match is None:
            return len(buffer), True
        self._mode = _CODE_MODE
        return match.end(), False

    def _stream(self, buffer: bytes, position: int, final: bool) -> tuple[int, bool]:
        event = _stream_event(buffer, position)
        if event is not None:
            start, resume = event
            self._stream_slice(buffer, position, start)
            self._end_stream()
            self._mode = _CODE_MODE
            return resume, False
        cut = len(buffer) if final else max(position, len(buffer) - _LOOKAHEAD)
        self._stream_slice(buffer, position, cut)
        return cut, True

    def _stream_slice(self, buffer: bytes, start: int, stop: int) -> None:
        if self._plan == "skip" and self._eol == 0:
            return  # skipped data (images, fonts, page content): not even copied
        self._stream_data(buffer[start:stop])

    def _name(self, raw: bytes) -> None:
        if b"#" in raw:
            raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
        name = raw.decode("latin-1")
        if name in ACTIVE_NAMES:
            self.found.add(name)
        if name in _TRACKED:
            self._names.add(name)

    # Streams: skipped, inflated or read raw, by what their dictionary says.

    def _begin_stream(self) -> None:
        names = self._names
        # Readers find object streams through the xref and need their /N and /First, whatever /Type says.
        self._object_stream = "ObjStm" in names or {"N", "First"} <= names
        filters = names & _FILTERS
        self._declared_flate = bool(filters)
        if not self._object_stream:
            self._plan = "skip"  # page content, images, fonts: data, not dictionaries
        elif filters - _FLATE:
            self._plan = "skip"
            self.unverifiable = True  # a filter we do not decode
        else:
            self._plan = "sniff"
        self._mode, self._eol, self._head = _STREAM_MODE, 2, b""
        self._inflater = self._child = None

    def _stream_data(self, data: bytes) -> None:
        # The data starts after the end of line (CRLF or LF; a lone CR tolerated) that follows `stream`.
        if self._eol == 2 and data:
            first, self._eol = data[:1], 0
            if first in (b"\r", b"\n"):
                self._eol, data = (1 if first == b"\r" else 0), data[1:]
        if self._eol == 1 and data:
            self._eol, data = 0, (data[1:] if data[:1] == b"\n" else data)
        if not data or self._plan == "skip":
            return
        if self._plan == "sniff":
            self._head += data
            if len(self._head) < 2:
                return
            data, self._head = self._head, b""
            self._choose(data)
            if self._plan == "skip":
                return
        if self._plan == "raw":
            self._child_feed(data)
        elif self._plan == "flate":
            self._inflate(data)

    def _choose(self, head: bytes) -> None:
        """Flate data (declared, or a zlib header where no filter is named: /Filter may be an indirect reference),
        else an uncompressed object stream, which starts with its table of object numbers; anything else (encrypted,
        damaged) cannot be checked."""
        cmf, flg = head[0], head[1] if len(head) > 1 else 0
        zlib_header = cmf & 0x0F == 8 and (cmf << 8 | flg) % 31 == 0
        if self._declared_flate or (zlib_header and not head[:1].isdigit()):
            self._plan, self._inflater = "flate", zlib.decompressobj()
        elif head[:1].isdigit():
            self._plan = "raw"
        else:
            self._give_up()
            return
        self._child = PdfScanner(_budget=self._budget, _nested=True)

    def _inflate(self, data: bytes) -> None:
        inflater = self._inflater
        if inflater is None:
            return
        try:
            while not inflater.eof:
                if self._budget.left <= 0:
                    self._give_up()
                    return
                out = inflater.decompress(data, min(self._budget.left, _INFLATE_STEP))
                self._budget.left -= len(out)
                if out:
                    self._child_feed(out)
                data = inflater.unconsumed_tail
                if not data and not out:
                    return
        except zlib.error:
            self._give_up()

    def _child_feed(self, data: bytes) -> None:
        if self._child is not None:
            self._child.feed(data)
            self.found |= self._child.found

    def _give_up(self) -> None:
        """Stop reading this stream; fine for page content, not for an object stream."""
        if self._object_stream:
            self.unverifiable = True
        self._plan, self._inflater = "skip", None

    def _end_stream(self) -> None:
        if self._object_stream and self._plan == "flate" and self._inflater is not None and not self._inflater.eof:
            self.unverifiable = True  # cut short
        if self._plan == "sniff" and self._head:
            self.unverifiable = True  # a one-byte object stream: not one
        if self._child is not None:
            self._child.close()
            self.found |= self._child.found
            self.unverifiable |= self._child.unverifiable
        self._plan, self._inflater, self._child, self._head, self._object_stream = "skip", None, None, b"", False
        self._names = set()
