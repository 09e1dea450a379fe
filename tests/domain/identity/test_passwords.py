"""Password rules and bcrypt hashing, without a database."""

from __future__ import annotations

import pytest

from monozu.domain.errors import ValidationError
from monozu.domain.identity import PasswordHasher, check_password

GOOD = "Correct-Horse-42"


@pytest.mark.parametrize(("password", "message"), [
    ("", "must not be empty"),
    ("Sh0rt!", "at least 10 characters"),
    ("alllowercaseletters", "three of"),
    ("Password123", "common password"),
    ("Alice-2026-spring", "contains the email"),
    ("Ab1!" + "x" * 69, "73 bytes long; at most 72"),
    ("Äb1!" + "x" * 68, "73 bytes long"),  # 72 characters, 73 bytes
    ("Good-Pass\x0012", "NUL"),
])
def test_weak_empty_and_oversize_passwords_are_refused(password: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        check_password(password, email="alice@acme.test")
    if password:
        assert password not in str(refused.value)


def test_a_72_byte_password_is_accepted_and_hashed() -> None:
    password = "Ab1!" + "x" * 68
    check_password(password)
    hasher = PasswordHasher(rounds=4)
    hashed = hasher.hash(password)
    assert hashed.startswith("$2b$04$") and password not in hashed
    assert hasher.verify(password, hashed)
    assert not hasher.verify(password[:-1], hashed)


def test_verify_refuses_missing_hashes_and_unusable_input() -> None:
    hasher = PasswordHasher(rounds=4)
    hashed = hasher.hash(GOOD)
    assert hasher.verify(GOOD, hashed)
    assert not hasher.verify(GOOD, None)  # an SSO user has no password
    assert not hasher.verify("", hashed)
    assert not hasher.verify(GOOD + "x" * 72, hashed)


def test_cost_is_configurable_and_checked() -> None:
    assert PasswordHasher(rounds=5).hash(GOOD).startswith("$2b$05$")
    with pytest.raises(ValueError, match="4 to 31"):
        PasswordHasher(rounds=3)
