"""Redemption codes: signed, short-lived, bound to one volunteer."""

from __future__ import annotations

import datetime as dt

import pytest

from servicebank.stores.codes import CODE_LIFETIME, CodeError, issue_code, verify_code

SECRET = "unit-test-secret-" + "z" * 32
NOW = dt.datetime(2026, 11, 14, 2, 0, tzinfo=dt.UTC)


def test_fresh_code_names_its_volunteer_until_it_expires() -> None:
    issued = issue_code(secret_key=SECRET, volunteer_id=42, now=NOW)
    assert issued.expires_at == NOW + CODE_LIFETIME
    scanned = verify_code(issued.code, secret_key=SECRET, now=NOW + dt.timedelta(seconds=119))
    assert (scanned.volunteer_id, scanned.method, scanned.expires_at) == (42, "code", issued.expires_at)
    with pytest.raises(CodeError) as expired:
        verify_code(issued.code, secret_key=SECRET, now=NOW + CODE_LIFETIME)
    assert expired.value.code == "redemption_code_expired"


def test_every_code_has_its_own_nonce() -> None:
    codes = {verify_code(issue_code(secret_key=SECRET, volunteer_id=1, now=NOW).code, secret_key=SECRET,
                         now=NOW).nonce for _ in range(50)}
    assert len(codes) == 50


@pytest.mark.parametrize("tamper", [
    lambda c: c.replace("r.42.", "r.43.", 1),  # someone else's account
    lambda c: ".".join(c.split(".")[:2] + [str(int(c.split(".")[2]) + 600)] + c.split(".")[3:]),  # longer life
    lambda c: c[:-2] + ("AA" if not c.endswith("AA") else "BB"),  # signature
    lambda c: "v" + c[1:],
    lambda c: c + "." + "x" * 200,
])
def test_tampered_codes_are_refused(tamper) -> None:  # noqa: ANN001
    code = issue_code(secret_key=SECRET, volunteer_id=42, now=NOW).code
    with pytest.raises(CodeError) as refused:
        verify_code(tamper(code), secret_key=SECRET, now=NOW)
    assert refused.value.code == "redemption_code_invalid"


def test_code_signed_with_another_key_is_refused() -> None:
    code = issue_code(secret_key="other-" + "k" * 40, volunteer_id=42, now=NOW).code
    with pytest.raises(CodeError):
        verify_code(code, secret_key=SECRET, now=NOW)
