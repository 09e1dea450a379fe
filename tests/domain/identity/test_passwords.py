"""Password rules and bcrypt hashing, without a database."""

from __future__ import annotations

import unicodedata

import bcrypt
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


def test_composed_and_decomposed_forms_are_the_same_password() -> None:
    composed = unicodedata.normalize("NFC", "Café-Crème-42")
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed
    hasher = PasswordHasher(rounds=4)
    for typed, later in [(composed, decomposed), (decomposed, composed)]:
        hashed = hasher.hash(typed)
        assert hasher.verify(later, hashed) and hasher.verify(typed, hashed)
        assert not hasher.verify(later.replace("42", "43"), hashed)


def test_a_hash_of_a_decomposed_password_made_before_normalising_still_matches() -> None:
    decomposed = unicodedata.normalize("NFD", "Café-Crème-42")
    legacy = bcrypt.hashpw(decomposed.encode(), bcrypt.gensalt(4)).decode()
    hasher = PasswordHasher(rounds=4)
    assert hasher.verify(decomposed, legacy)
    assert not hasher.verify(decomposed.replace("42", "43"), legacy)


def test_length_is_counted_on_the_normalised_password() -> None:
    # 104 bytes as typed (decomposed), 70 once composed: the hashed form fits
    typed = unicodedata.normalize("NFD", "É1-" + "é" * 33)
    assert len(typed.encode()) > 72
    check_password(typed)
    assert PasswordHasher(rounds=4).verify(typed, PasswordHasher(rounds=4).hash(typed))


@pytest.mark.parametrize("stored", ["", "garbage", "$2b$04$short", "x" * 60,
                                    "$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA"])
def test_a_stored_value_that_is_no_bcrypt_hash_matches_nothing(stored: str) -> None:
    """Not an error only that account would raise, which would tell it apart."""
    assert not PasswordHasher(rounds=4).verify(GOOD, stored)


# What a byte that is not UTF-8 becomes in text decoded with surrogateescape (a form
# field, an argument): the encoder's error carries the whole text in its arguments.
UNENCODABLE = "Qx7Raw/Zq8Tuv?Kp3Lmn#\udcffWd5Ghj@Ys2Bcd:Rf6 Nop%41"


def test_a_password_that_cannot_be_encoded_is_refused_without_quoting_it() -> None:
    """Refused like any other unusable password, and no piece of it in the error, its
    arguments, its repr or an exception chained to it."""
    from tests.db.dialects.test_urls import FRAGMENTS, exception_texts

    hasher = PasswordHasher(rounds=4)
    hashed = hasher.hash(GOOD)
    assert not hasher.verify(UNENCODABLE, hashed) and not hasher.verify(UNENCODABLE, None)
    refusals: list[BaseException] = []
    for call, error in ((lambda: check_password(UNENCODABLE), ValidationError),
                        (lambda: hasher.hash(UNENCODABLE), ValueError)):
        with pytest.raises(error, match="not Unicode") as refused:
            call()
        refusals.append(refused.value)
    texts = [text for refusal in refusals for text in exception_texts(refusal)]
    assert [p for p in FRAGMENTS.findall(UNENCODABLE) for t in texts if p in t] == []
