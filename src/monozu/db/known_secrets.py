"""Secrets the process has read, masked wherever one comes back in another guise.

Secrets are masked by shape: the password of a URL, a ``password=`` value. A message
may still quote the very same text given for something else (``IS_DEV=<the
password>``, ``application_name=<it>``), which no shape can see. So every secret the
layer reads is remembered here, and the layer's errors, its printed URLs and the
command line's messages mask each one where a value is echoed: quoted (``'...'``,
``"..."``, ``{...}``) or assigned (``=...`` up to ``&``, ``;``, ``,`` or a blank), in
every form a message may echo it (:func:`echoed_forms`: ``got {value!r}`` doubles a
backslash).

A value cut short before it is quoted (``got 'Qx7RawZq8TuvKp3LmnWd'``, ``'Qx7RawZq8Tuv
Kp3L...(30 characters)'``) is masked too: a message may shorten what it echoes, and
the first twenty characters of a password are most of it. So an echoed value that is
the start of a secret, at least :data:`CUT_MIN_LENGTH` characters (what the messages
keep of a value they cut), and ends where the value ends (a closing quote, ``...``,
the end of the text) is masked like the whole secret. A shorter start is not: a
database named ``'monozu'`` must not turn into ``'***'`` for the password
``monozu-prod-7``, which would tell how the password begins.

Bare occurrences are left alone, and so are secrets shorter than :data:`MIN_LENGTH`
and a password equal to its own URL's host, user or database: masking those would
make messages depend on the secret (the password ``1`` would turn ``127.0.0.1`` into
``***27.0.0.***``, the password ``Connection`` would turn ``Connection refused`` into
``*** refused``), and so reveal it.
"""

from __future__ import annotations

import contextlib
import re
import threading
from urllib.parse import quote

MIN_LENGTH = 6
CUT_MIN_LENGTH = 12
MASK = "***"

_lock = threading.Lock()
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None


def echoed_forms(secret: str) -> set[str]:
    """The forms a message may echo ``secret`` in: as it is, percent-encoded (``+`` for
    a space), with ``+`` read as a space (a query's value), and escaped as ``repr``,
    ``ascii`` and JSON escape it: ``got {value!r}`` shows a backslash doubled and a
    no-break space as ``\\xa0``, not as the characters the secret holds."""
    forms = {secret, secret.replace("+", " "), repr(secret)[1:-1], ascii(secret)[1:-1]}
    if not (secret.isascii() and secret.isprintable()) or '"' in secret or "\\" in secret:
        import json  # only for what JSON escapes: the command line's start stays short

        forms.add(json.dumps(secret)[1:-1])
    with contextlib.suppress(UnicodeError):  # a lone surrogate has no encoded form
        encoded = quote(secret, safe="")
        forms |= {encoded, encoded.replace("%20", "+")}
    return forms


def remember(secret: str) -> None:
    """Mask ``secret`` (and each form it may be echoed in) from now on."""
    global _pattern
    if not isinstance(secret, str) or len(secret) < MIN_LENGTH:
        return
    forms = echoed_forms(secret)
    with _lock:
        if forms <= _known:
            return
        _known.update(forms)
        # Where an echoed value may begin with the start of a secret; mask() then
        # reads how far it goes.
        heads = sorted({form[:MIN_LENGTH] for form in _known}, key=len, reverse=True)
        _pattern = re.compile(r"(?<=['\"{=])(?:" + "|".join(map(re.escape, heads)) + ")")


# Where an echoed value ends: a closing quote or brace, a separator, a blank, the end
# of the text, or the "..." of a value cut short.
_CLOSER = re.compile(r"['\"}&;,)\s]|\Z|\.\.\.|\u2026")


def _echoed_end(text: str, start: int) -> int | None:
    """Where an echoed value at ``start`` ends if it is a remembered secret or the
    start of one (at least CUT_MIN_LENGTH characters), else None."""
    best: int | None = None
    for form in _known.copy():
        n = 0
        limit = min(len(form), len(text) - start)
        while n < limit and text[start + n] == form[n]:
            n += 1
        # The longest start followed by where a value ends (a secret may hold a quote).
        while n >= MIN_LENGTH and not (_CLOSER.match(text, start + n) and (
                n == len(form) or n >= CUT_MIN_LENGTH)):
            n -= 1
        if n >= MIN_LENGTH and (best is None or start + n > best):
            best = start + n
    return best


def mask(text: str) -> str:
    """``text`` with every remembered secret (or a start of one, cut short) masked
    where it is echoed as a value."""
    pattern = _pattern
    if pattern is None or not isinstance(text, str):
        return text
    out: list[str] = []
    pos = 0
    for found in pattern.finditer(text):
        if found.start() < pos:
            continue
        end = _echoed_end(text, found.start())
        if end is not None:
            out += [text[pos:found.start()], MASK]
            pos = end
    return "".join(out) + text[pos:]


def forget_all() -> None:
    """Forget every secret (for tests)."""
    global _pattern
    with _lock:
        _known.clear()
        _pattern = None
