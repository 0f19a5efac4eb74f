"""ID numbers: checksum validation, masking, encryption at rest, keyed digests."""

from __future__ import annotations

import pytest

from servicebank.config import Settings, SettingsError
from servicebank.kernel.errors import InvalidInput
from servicebank.volunteers.identity import (
    RESIDENT_ID,
    IdentityVault,
    mask_id_number,
    resident_id_check_char,
    validate_id_number,
    vault,
)


def resident_id(first17: str) -> str:
    """A well-formed resident ID number for tests (real check digit)."""
    return first17 + resident_id_check_char(first17)


VALID = "11010519491231002X"  # the standard's own example


def test_the_standard_example_is_valid_and_lower_case_x_is_accepted() -> None:
    assert validate_id_number(RESIDENT_ID, VALID) == VALID
    assert validate_id_number(RESIDENT_ID, " 110105 19491231 002x ") == VALID


@pytest.mark.parametrize("number", [
    "110105194912310021",  # wrong check digit
    "11010519491231002",  # 17 characters
    "1101051949123100212",  # 19 characters
    "11010519491331002X",  # month 13
    "01010519491231002X",  # region cannot start with 0
    "1101051949123100AX",
])
def test_malformed_resident_ids_are_refused_with_a_stable_code(number: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_id_number(RESIDENT_ID, number)
    assert caught.value.code == "invalid_id_number"


def test_other_documents_only_need_a_plausible_shape() -> None:
    assert validate_id_number("护照", "e12345678") == "E12345678"
    with pytest.raises(InvalidInput):
        validate_id_number("护照", "12")


def test_masking_keeps_region_and_last_four_only() -> None:
    assert mask_id_number(VALID) == "110***********002X"
    assert len(mask_id_number(VALID)) == 18
    assert mask_id_number("E12345678") == "E12**5678"


def test_encryption_round_trips_and_is_randomised() -> None:
    v = IdentityVault("k" * 40)
    first, second = v.encrypt(VALID), v.encrypt(VALID)
    assert first != second and VALID not in first
    assert v.decrypt(first) == VALID == v.decrypt(second)


def test_tampered_ciphertext_is_refused() -> None:
    v = IdentityVault("k" * 40)
    token = v.encrypt(VALID)
    broken = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    with pytest.raises(Exception):  # noqa: B017 - cryptography's InvalidTag
        v.decrypt(broken)


def test_digest_is_keyed_stable_and_ignores_formatting() -> None:
    a, b = IdentityVault("k" * 40), IdentityVault("other-key" * 5)
    assert a.digest(VALID) == a.digest(VALID.lower())
    assert a.digest(VALID) != b.digest(VALID)
    assert len(a.digest(VALID)) == 64


def test_the_vault_uses_the_data_key_never_the_signing_key() -> None:
    settings = Settings(secret_key="s" * 40, data_key="d" * 40)
    sealed = vault(settings).encrypt(VALID)
    assert vault(settings).decrypt(sealed) == VALID
    assert vault(settings).digest(VALID) == IdentityVault("d" * 40).digest(VALID)
    assert vault(settings).digest(VALID) != IdentityVault("s" * 40).digest(VALID)
    with pytest.raises(ValueError):
        IdentityVault("s" * 40).decrypt(sealed)
    with pytest.raises(SettingsError, match="DATA_KEY"):
        vault(Settings(secret_key="s" * 40))


def test_the_old_shared_key_opens_old_values_only_never_new_ones() -> None:
    import base64
    import os

    from servicebank.volunteers.identity import _DataKey

    nonce = os.urandom(12)
    sealed = _DataKey("s" * 40).aead.encrypt(nonce, VALID.encode(), b"v1")
    old_value = "v1:" + base64.urlsafe_b64encode(nonce + sealed).decode()
    upgraded = IdentityVault("d" * 40, legacy=["s" * 40])
    assert upgraded.decrypt(old_value) == VALID
    assert IdentityVault("s" * 40).digest(VALID) in upgraded.digests(VALID)  # duplicates of old rows are found
    with pytest.raises(ValueError):
        upgraded.decrypt(IdentityVault("s" * 40).encrypt(VALID))  # a new-format value under the signing key
