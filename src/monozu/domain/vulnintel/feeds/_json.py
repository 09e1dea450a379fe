"""Reading JSON feeds safely: nesting depth checked before a parser sees the bytes, and the
top-level shape read from the first bytes.

ijson builds a path string for every container it enters, so N nested ``[`` cost it
O(N²) time; Python's ``json`` stops at the recursion limit with ``RecursionError``.
Real feeds nest about ten levels deep, so a document deeper than :data:`MAX_DEPTH` is
refused, in time linear in its size, before any parser reads it.
"""

from __future__ import annotations

import functools
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import ijson  # type: ignore[import-untyped]

from monozu.domain.vulnintel.errors import FeedError
from monozu.domain.vulnintel.feeds._io import kind_of, open_binary, shown

MAX_DEPTH = 64
# The largest real records are a few hundred KB (CVE-2021-44228 is 133 KB). ijson keeps
# the record it builds in memory, and its C backend re-reads a string cut by a read
# from the string's start, so one long string costs time quadratic in its length (a
# 1.5 MB .gz holding a 1.5 GB string would run for hours): more than this many bytes
# read without a record completing are refused.
MAX_RECORD = 16 << 20
PEEK = 1 << 16
BOM = b"\xef\xbb\xbf"  # UTF-8's byte order mark, which some editors put first

_OTHER = bytes(c for c in range(256) if c not in b'[]{}"')
_FOLD = bytes.maketrans(b"{}", b"[]")


class Shape:
    """What :func:`top_level` saw of a top-level value that is not a scalar."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


LIST = Shape("a list")
OBJECT = Shape("an object")
UNREAD = Shape("beyond the first bytes")  # the key was seen, its value was not
ABSENT = Shape("absent")


def describe(value: object) -> str:
    """A top-level value for messages: its shape, or the scalar itself, shortened."""
    if isinstance(value, Shape):
        return value.name
    return f"{kind_of(value)} {shown(value)}" if value is not None else "null"


def too_deep(source: str, record: str | None) -> FeedError:
    return FeedError(source, record, f"JSON nested deeper than {MAX_DEPTH} levels")


class JsonDepth:
    """The nesting depth of a JSON document fed in consecutive chunks, kept with bytes
    operations (ordinary documents never take a per-character Python loop).

    Per chunk: escapes go first (``\\\\``, then ``\\"``), then every byte but quotes and
    brackets (``{}`` folded into ``[]``); each run of quotes shrinks to its parity (an empty
    string, or the gap between two strings, holds no bracket), so only strings holding
    brackets stay quoted and splitting on the few quotes left keeps the brackets outside
    strings. Those lose their ``[]`` pairs pass by pass: the depth inside the chunk is at
    most the larger of the depths at its ends plus the passes. Only when that bound is
    over the limit are the chunk's brackets counted one by one.
    """

    def __init__(self, source: str, where: list[str] | None = None) -> None:
        self.source = source
        self.where = where  # the last good record, for the message
        self.depth = 0
        self.in_string = False
        self.backslash = False  # the chunk before ended in an unpaired backslash

    def feed(self, chunk: bytes) -> None:
        if self.backslash:
            chunk = b"\\" + chunk
            self.backslash = False
        if b"\\" in chunk:
            body = chunk.rstrip(b"\\")
            # a trailing odd run escapes the next chunk's first byte
            self.backslash = (len(chunk) - len(body)) % 2 == 1
            chunk = body.replace(b"\\\\", b"").replace(b'\\"', b"")
        skeleton = chunk.translate(_FOLD, _OTHER).replace(b'""', b"")
        if b'"' in skeleton:
            parts = skeleton.split(b'"')
            outside = b"".join(parts[1 if self.in_string else 0::2])
            if len(parts) % 2 == 0:
                self.in_string = not self.in_string
        elif self.in_string:
            return
        else:
            outside = skeleton
        reduced, passes = outside, 0
        while b"[]" in reduced and passes <= MAX_DEPTH:
            reduced = reduced.replace(b"[]", b"")
            passes += 1
        closes = len(reduced) - len(reduced.lstrip(b"]"))
        end = self.depth - closes + (len(reduced) - closes)
        if b"[]" in reduced or max(self.depth, end) + passes > MAX_DEPTH:
            end = self._counted(outside)
        self.depth = max(end, 0)  # below 0 the JSON is malformed: the parser says so

    def _counted(self, brackets: bytes) -> int:
        depth = self.depth
        for byte in brackets:
            if byte == 0x5B:  # "["
                depth += 1
                if depth > MAX_DEPTH:
                    where = self.where
                    raise too_deep(self.source, f"after {where[0]}" if where else None)
            else:
                depth -= 1
        return depth


class LoneSurrogate(Exception):
    """A ``\\uD800``-``\\uDFFF`` escape without its partner was read (internal: see
    :func:`json_items`)."""


# Every escape, left to right: a backslash and what it escapes (so "\\\\" is one),
# "\\u" with its four hex digits when they are there.
_ESCAPE = re.compile(rb"\\(?:u([0-9a-fA-F]{4})|u[0-9a-fA-F]{0,3}|.|\Z)", re.DOTALL)
# A surrogate escape, maybe: "\\ud8".."\\udf" (the rare chunk holding one is read exactly).
_SCREEN = re.compile(rb"\\u[dD][89a-fA-F]")


class SurrogateEscapes:
    """Finds a surrogate escape in JSON text fed in consecutive chunks that is not half
    of a pair (``"a\\ud800b"``, or ``"\\ud800\\u0041"``): ijson's C backend would store
    the first as ``a?b`` and read the second as one unrelated character. Pairs (an emoji
    written ``\\ud83d\\ude00``) are what they should be.

    A chunk without ``\\ud8``..``\\udf`` costs one regular-expression scan; one with it
    is read escape by escape. ``tail`` carries what the next chunk completes: an escape
    cut short, or a first half waiting for its second; it always starts outside an
    escape (a run of backslashes is kept as its parity), so the next chunk is read
    from a known state.
    """

    def __init__(self) -> None:
        self.tail = b""

    def feed(self, chunk: bytes) -> None:
        data = self.tail + chunk if self.tail else chunk
        self.tail = b""
        if _SCREEN.search(data) is None:
            last = data.rfind(b"\\", max(0, len(data) - 3))
            if last >= 0:  # a backslash near the end: "\\", "\\u", "\\ud" may go on
                head = data[:last + 1]
                run = len(head) - len(head.rstrip(b"\\"))
                if run % 2:
                    self.tail = b"\\" + data[last + 1:]
            return
        self._exact(data)

    def _exact(self, data: bytes) -> None:
        end = len(data)
        high: re.Match[bytes] | None = None  # a first half, waiting for its second
        for m in _ESCAPE.finditer(data):
            digits = m.group(1)
            if digits is None and m.end() == end and m.group()[1:2] in (b"", b"u"):
                self.tail = data[(high or m).start():]  # cut short: the next chunk goes on
                return
            code = int(digits, 16) if digits is not None else -1
            if high is not None:  # the escape right after a first half
                if not 0xDC00 <= code <= 0xDFFF:
                    raise LoneSurrogate
                high = None
            elif 0xD800 <= code <= 0xDBFF:
                if m.end() < end and data[m.end()] != 0x5C:  # no escape follows
                    raise LoneSurrogate
                high = m
            elif 0xDC00 <= code <= 0xDFFF:
                raise LoneSurrogate
        if high is not None:  # at the very end: its second half is in the next chunk
            self.tail = data[high.start():]


class DepthChecked:
    """A binary stream whose bytes pass a :class:`JsonDepth` (and, when asked, a
    :class:`SurrogateEscapes`) as they are read.

    :meth:`peek` reads the first bytes once; :meth:`read` returns them again first. A
    UTF-8 byte order mark at the start is dropped: ijson would call it malformed JSON.
    More than :data:`MAX_RECORD` bytes read since the last :meth:`mark` are refused.
    """

    def __init__(self, raw: IO[bytes], depth: JsonDepth, *,
                 surrogates: SurrogateEscapes | None = None) -> None:
        self._raw = raw
        self._depth = depth
        self._surrogates = surrogates
        self._head = b""
        self._lone_in_head = False
        self._first = True
        self._unmarked = 0  # bytes read since a record (or event) was last completed

    def mark(self) -> None:
        """A record was completed: the bytes read so far belong to it."""
        self._unmarked = 0

    def peek(self, size: int) -> bytes:
        parts: list[bytes] = []
        wanted = size
        while wanted > 0:  # a decompressing stream may return less than asked
            part = self._next(wanted, peeking=True)
            if not part:
                break
            parts.append(part)
            wanted -= len(part)
        self._head = b"".join(parts)
        return self._head

    def read(self, size: int = -1) -> bytes:
        if self._lone_in_head:
            raise LoneSurrogate
        if self._head:
            if 0 <= size < len(self._head):
                head, self._head = self._head[:size], self._head[size:]
            else:
                head, self._head = self._head, b""
            return head
        return self._next(size)

    def _next(self, size: int, *, peeking: bool = False) -> bytes:
        chunk = self._raw.read(size)
        if self._first:  # the first read is the peek's, or ijson's: thousands of bytes
            self._first = False
            chunk = chunk.removeprefix(BOM)
        self._unmarked += len(chunk)
        if self._unmarked > MAX_RECORD:
            where = self._depth.where
            raise FeedError(self._depth.source, f"after {where[0]}" if where else None,
                            f"more than {MAX_RECORD >> 20} MB of JSON without a complete "
                            "record (a string or record this long is not a feed's)")
        self._depth.feed(chunk)
        if self._surrogates is not None:
            try:
                self._surrogates.feed(chunk)
            except LoneSurrogate:
                if not peeking:
                    raise
                self._lone_in_head = True  # raised when the parser reads the head
        return chunk


class DuplicateKey(Exception):
    """An object of item ``number`` (from 1) holds ``key`` twice (internal: the reader
    names the record)."""

    def __init__(self, key: str, number: int, item: Any) -> None:
        super().__init__(key)
        self.key, self.number, self.item = key, number, item


def _keyed_once(seen: list[str]) -> type[dict[str, Any]]:
    """A dict type for ijson's objects that notes a key set twice, on itself and into
    ``seen``: JSON leaves its meaning open, and a plain dict would keep the last value
    unseen. (It notes rather than raises: an exception inside ijson's C backend comes out
    garbled.)"""

    class Once(dict[str, Any]):
        __slots__ = ("twice",)

        def __setitem__(self, key: str, value: Any) -> None:
            if key in self:
                seen.append(key)
                self.twice = key
            dict.__setitem__(self, key, value)

    return Once


def _twice(value: Any) -> str | None:
    """The key some object within ``value`` holds twice (see :func:`_keyed_once`)."""
    if isinstance(value, dict):
        key: str | None = getattr(value, "twice", None)
        found = (_twice(v) for v in value.values())
    elif isinstance(value, list):
        key, found = None, (_twice(v) for v in value)
    else:
        return None
    return key or next((k for k in found if k), None)


def json_items(stream: DepthChecked, prefix: str, reopen: Callable[[], DepthChecked],
               ) -> Iterator[Any]:
    """``ijson.items(stream, prefix)`` with ijson's C backend, which turns a lone
    surrogate escape into ``?`` (or into another character) unseen. ``stream`` should
    check for them (``surrogates=``): when one is found, the items already given are
    read again by ijson's Python backend from ``reopen()``'s stream and passed over, and
    the rest come from that backend, which keeps the surrogate as it is, so the text
    check of the record holding it refuses it, naming the record and the field.
    Files without one (all real ones) never leave the C backend.

    An item holding an object with a key twice raises :class:`DuplicateKey`.
    """
    given = 0
    twice: list[str] = []
    objects = _keyed_once(twice)
    try:
        # use_float: without it ijson's C backend crashes on a 5,000-digit number
        for item in ijson.items(stream, prefix, use_float=True, map_type=objects):
            stream.mark()
            given += 1
            # ijson builds a few items ahead: only the one holding it is refused
            if twice and (key := _twice(item)):
                raise DuplicateKey(key, given, item)
            yield item
        return
    except LoneSurrogate:
        pass
    # Every item given so far was parsed from chunks before the one holding the
    # surrogate (a first half at a chunk's very end leaves its string open), so the
    # same items come first from the exact reading.
    exact = ijson.get_backend("python")
    again = reopen()
    for number, item in enumerate(exact.items(again, prefix, use_float=True,
                                              map_type=objects), 1):
        again.mark()
        if twice and (key := _twice(item)):
            raise DuplicateKey(key, number, item)
        if number > given:
            yield item


def top_level(head: bytes, source: str = "JSON") -> dict[str, Any]:
    """The top-level keys seen in the first bytes of a JSON document, each with its
    scalar value, :data:`LIST`, :data:`OBJECT` or :data:`UNREAD`; ``"<array>"`` when the
    document is an array. Nesting deeper than :data:`MAX_DEPTH` is a :class:`FeedError`.
    """
    found: dict[str, Any] = {}
    depth = 0
    key: str | None = None
    try:
        for event, value in ijson.basic_parse(io.BytesIO(head), use_float=True):
            if event in ("start_map", "start_array"):
                if depth == 0 and event == "start_array":
                    found["<array>"] = True
                elif depth == 1 and key is not None:
                    found[key] = LIST if event == "start_array" else OBJECT
                    key = None
                depth += 1
                if depth > MAX_DEPTH:
                    raise too_deep(source, None)
            elif event in ("end_map", "end_array"):
                depth -= 1
            elif depth == 1 and event == "map_key":
                key = value
                found.setdefault(value, UNREAD)
            elif depth == 1 and key is not None:
                found[key] = value
                key = None
    except (ijson.JSONError, UnicodeDecodeError):
        # the peek ends mid-document, or at text ijson's C backend cannot decode (a
        # lone surrogate escape): what was read is enough, the main pass says the rest
        pass
    return found


def top_value(path: Path, key: str) -> object:
    """The top-level ``key`` of the document at ``path``: a scalar, :data:`LIST`,
    :data:`OBJECT` or :data:`ABSENT`, found by reading up to it (a second pass, for the
    rare document whose first bytes do not reach it)."""
    name = str(path)
    depth = 0
    seen = False
    with open_binary(path) as raw:
        stream = DepthChecked(raw, JsonDepth(name))
        try:
            for event, value in ijson.basic_parse(stream, use_float=True):
                stream.mark()
                if seen:
                    if event in ("start_map", "start_array"):
                        return LIST if event == "start_array" else OBJECT
                    return value
                if event in ("start_map", "start_array"):
                    depth += 1
                elif event in ("end_map", "end_array"):
                    depth -= 1
                elif depth == 1 and event == "map_key" and value == key:
                    seen = True
        except (ijson.JSONError, UnicodeDecodeError):
            pass  # the main pass reports the damage, naming the record
    return ABSENT


def require_list(path: Path, top: dict[str, Any], key: str, whole: bool,
                 missing: str) -> None:
    """Refuse the document unless its top-level ``key`` holds a list: ``top`` is what
    :func:`top_level` saw, ``whole`` whether that was the whole document."""
    value = top.get(key, ABSENT if whole else UNREAD)
    if value is UNREAD:
        value = top_value(path, key)
    if value is ABSENT:
        raise FeedError(str(path), None, missing)
    if value is not LIST:
        raise FeedError(str(path), None, f"{key} is not a list ({describe(value)})")


def _once(source: str, pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object of a whole document, refused when it holds a key twice."""
    found = dict(pairs)
    if len(found) != len(pairs):
        keys: set[str] = set()
        for key, _ in pairs:
            if key in keys:
                raise FeedError(source, None, f"the key {shown(key)} appears twice in one "
                                "object")
            keys.add(key)
    return found


def load_json(data: bytes, source: str) -> Any:
    """A whole (small) JSON document, its depth checked first."""
    JsonDepth(source).feed(data)
    try:
        return json.loads(data, object_pairs_hook=functools.partial(_once, source))
    except json.JSONDecodeError as exc:
        raise FeedError(source, f"line {exc.lineno}", f"malformed JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise  # reported by the caller's guard, naming the record
    except ValueError:  # what json leaves to int(): a number of more than 4,300 digits
        raise FeedError(source, None, "malformed JSON (a number with too many digits)") from None
    except RecursionError:  # not reached after the depth check; kept as the last guard
        raise too_deep(source, None) from None
