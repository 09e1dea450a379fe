"""Secrets the process has read, masked wherever one comes back in another guise.

Secrets are masked by shape: the password of a URL, a ``password=`` value. A message
may still quote the very same text given for something else (``IS_DEV=<the
password>``, ``application_name=<it>``), which no shape can see. So every secret the
layer reads is remembered here, and the layer's errors, its printed URLs and the
command line's messages mask each one where a value is echoed: quoted (``'...'``,
``"..."``, ``{...}``) or assigned (``=...`` up to ``&``, ``;``, ``,`` or a blank).

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
MASK = "***"

_lock = threading.Lock()
_known: set[str] = set()
_pattern: re.Pattern[str] | None = None


def remember(secret: str) -> None:
    """Mask ``secret`` (and its percent-encoded form) from now on."""
    global _pattern
    if not isinstance(secret, str) or len(secret) < MIN_LENGTH:
        return
    forms = {secret}
    with contextlib.suppress(UnicodeError):  # a lone surrogate has no encoded form
        encoded = quote(secret, safe="")
        forms |= {encoded, encoded.replace("%20", "+")}
    with _lock:
        if forms <= _known:
            return
        _known.update(forms)
        longest_first = sorted(_known, key=len, reverse=True)
        _pattern = re.compile(r"(?<=['\"{=])(?:"
                              + "|".join(map(re.escape, longest_first))
                              + r")(?=['\"}&;,)\s]|\Z)")


def mask(text: str) -> str:
    """``text`` with every remembered secret masked where it is echoed as a value."""
    pattern = _pattern
    if pattern is None or not isinstance(text, str):
        return text
    return pattern.sub(MASK, text)


def forget_all() -> None:
    """Forget every secret (for tests)."""
    global _pattern
    with _lock:
        _known.clear()
        _pattern = None
