"""Password rules and bcrypt hashing.

bcrypt reads at most 72 bytes of a password, so a longer one is refused rather than
silently cut. A password is hashed and checked in Unicode NFC, so the same characters
typed as one code point (é) or as a letter and a combining mark (e + U+0301), as
keyboards and operating systems differ, are the same password. ``rounds`` is bcrypt's
cost factor (2**rounds iterations); production keeps the default, tests lower it.
"""

from __future__ import annotations

import unicodedata

import bcrypt

from monozu.domain.errors import ValidationError

MIN_LENGTH = 10
MAX_BYTES = 72
DEFAULT_ROUNDS = 12
# the most common passwords that would pass the length and variety rules
_COMMON = frozenset({
    "password123", "password1!", "passw0rd123", "qwerty12345", "1q2w3e4r5t",
    "letmein1234", "welcome123", "welcome1!", "administrator1", "p@ssw0rd123",
    "qwertyuiop1", "iloveyou123", "changeme123", "monozu12345",
})


def normalise(password: str) -> str:
    """The form a password is hashed and checked in: NFC."""
    return unicodedata.normalize("NFC", password)


def _encoded(password: str) -> bytes | None:
    """``password`` as UTF-8, or None when it holds a lone surrogate (what a byte that
    is not UTF-8 becomes when decoded with ``surrogateescape``). The encoder's error is
    not let out: its arguments and its repr hold the whole password."""
    try:
        return password.encode()
    except UnicodeEncodeError:
        return None


_NOT_UNICODE = "password holds a lone surrogate, which is not Unicode text"


def check_password(password: str, *, email: str = "") -> None:
    """Refuse an empty, weak or too long password; the message never repeats it."""
    password = normalise(password)
    if not password:
        raise ValidationError("password must not be empty")
    if "\x00" in password:
        raise ValidationError("password must not contain NUL characters")
    raw = _encoded(password)
    if raw is None:
        raise ValidationError(_NOT_UNICODE)
    size = len(raw)
    if size > MAX_BYTES:
        raise ValidationError(f"password is {size} bytes long; at most {MAX_BYTES} "
                              "(bcrypt ignores the rest)")
    if len(password) < MIN_LENGTH:
        raise ValidationError(f"password is too weak: at least {MIN_LENGTH} characters")
    classes = sum((any(c.islower() for c in password), any(c.isupper() for c in password),
                   any(c.isdigit() for c in password),
                   any(not c.isalnum() for c in password)))
    if classes < 3:
        raise ValidationError("password is too weak: use three of lower-case, upper-case, "
                              "digits and other characters")
    lowered = password.lower()
    local = email.partition("@")[0].lower()
    if lowered in _COMMON or (len(local) >= 4 and local in lowered):
        raise ValidationError("password is too weak: it is a common password or contains "
                              "the email address")


class PasswordHasher:
    def __init__(self, rounds: int = DEFAULT_ROUNDS) -> None:
        if not 4 <= rounds <= 31:
            raise ValueError("bcrypt rounds must be from 4 to 31")
        self.rounds = rounds
        # compared against when the user is unknown, so a miss costs what a hit costs
        self._decoy = self.hash("decoy password never issued")

    def hash(self, password: str) -> str:
        raw = _encoded(normalise(password))
        if raw is None:
            raise ValueError(_NOT_UNICODE)
        return bcrypt.hashpw(raw, bcrypt.gensalt(self.rounds)).decode()

    def verify(self, password: str, hashed: str | None) -> bool:
        nfc = normalise(password)
        # a hash made of the password as typed, before passwords were normalised, still
        # matches; the second check depends only on the input, never on the account
        forms = (nfc,) if nfc == password else (nfc, password)
        for form in forms:
            raw = _encoded(form)
            if not raw or len(raw) > MAX_BYTES or hashed is None:
                bcrypt.checkpw(b"x", self._decoy.encode())
            elif self._matches(raw, hashed):
                return True
        return False

    def _matches(self, raw: bytes, hashed: str) -> bool:
        try:
            return bcrypt.checkpw(raw, hashed.encode())
        except ValueError:
            # not a bcrypt hash (a row written by other means): nothing matches it, and
            # the refusal costs what a real check costs, not an error only this user gets
            bcrypt.checkpw(b"x", self._decoy.encode())
            return False
