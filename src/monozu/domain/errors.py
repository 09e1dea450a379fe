"""Errors the domain services raise when they refuse a request.

They extend the layer's taxonomy (:mod:`monozu.db.errors`), so a caller catching
``MonozuError`` sees them too. A refused call changes nothing: the unit of work it
ran in is rolled back, audit row included. A row of another tenant is reported
exactly like a missing one, with :class:`monozu.db.NotFound`.
"""

from __future__ import annotations

import unicodedata

from monozu.db.errors import MonozuError

# Format characters (zero-width, direction marks), controls and separators: a name made
# only of them shows as nothing.
_INVISIBLE = frozenset({"Cf", "Cc", "Zs", "Zl", "Zp"})


class DomainError(MonozuError):
    """A service refused a request; nothing was changed."""


class ValidationError(DomainError):
    """An input breaks a rule: empty, too long, unknown value, weak password."""


class InvalidTransition(DomainError):
    """A status change the lifecycle does not allow."""

    def __init__(self, entity: str, current: str, wanted: str) -> None:
        # a wanted status is the caller's text, of any length: only its start is shown
        super().__init__(f"{entity} cannot go from {current!r} to {wanted!r:.80}")
        self.entity = entity
        self.current = current
        self.wanted = wanted


class Conflict(DomainError):
    """The request clashes with existing data (a duplicate email, a name in use)."""


class Unauthorized(DomainError):
    """Credentials or tokens were refused (wrong password, revoked or reused token)."""


class SecondFactorRequired(Unauthorized):
    """The password was right but the user also signs in with a second factor (TOTP),
    which the caller checks before it starts the session."""


def check_text(field: str, value: str, *, max_length: int, required: bool = True) -> str:
    """``value`` stripped of surrounding space, refused when empty (or only invisible
    characters) or longer than allowed."""
    text = value.strip()
    if required and not any(unicodedata.category(c) not in _INVISIBLE for c in text):
        # zero-width spaces and direction marks alone show as an empty name
        raise ValidationError(f"{field} must not be empty")
    if len(text) > max_length:
        raise ValidationError(f"{field} is {len(text)} characters long; at most {max_length}")
    return text
