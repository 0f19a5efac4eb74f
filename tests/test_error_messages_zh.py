"""problem+json in the caller's language: `code` and English `detail` always, `message_zh` when Chinese is preferred;
the pages explain every registered code in Chinese, never "没有成功：<English>"."""

from __future__ import annotations

import re

import pytest

from servicebank import error_codes
from servicebank.kernel.errors import DomainError, prefers_chinese
from servicebank.web import friendly, i18n

ASCII_SENTENCE = re.compile(r"[A-Za-z]+(?:[ ,'’-]+[A-Za-z]+){2,}")


@pytest.mark.parametrize(("header", "zh"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", True), ("zh", True), ("zh-Hans", True), ("en-US,zh;q=0.5", False),
    ("en;q=0.4, zh-TW;q=0.8", True), (None, False), ("", False), ("*", False), ("zh;q=bad, en;q=0.1", False),
])
def test_the_preferred_language_is_the_one_with_the_highest_weight(header, zh) -> None:  # noqa: ANN001
    assert prefers_chinese(header) is zh


async def test_a_refusal_carries_chinese_words_when_the_caller_prefers_chinese(client) -> None:  # noqa: ANN001
    plain = await client.post("/api/auth/login", json={"login": "nobody", "password": "wrong-password-1"})
    zh = await client.post("/api/auth/login", json={"login": "nobody", "password": "wrong-password-1"},
                           headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.8"})
    assert plain.status_code == zh.status_code == 401
    assert plain.headers["content-type"].startswith("application/problem+json")
    body = zh.json()
    assert body["code"] == plain.json()["code"] == "invalid_credentials"
    assert body["detail"] == plain.json()["detail"]  # the English detail stays for programs and logs
    assert "message_zh" not in plain.json()
    assert body["message_zh"] == i18n.catalogue("zh")[error_codes.MESSAGES["invalid_credentials"]]
    assert not ASCII_SENTENCE.search(body["message_zh"])


async def test_http_fallbacks_and_validation_errors_are_localised_too(client) -> None:  # noqa: ANN001
    zh = {"Accept-Language": "zh-CN"}
    missing = await client.get("/api/no-such-route", headers=zh)
    assert missing.json()["code"] == "not_found"
    assert missing.json()["message_zh"] == error_codes.chinese("not_found") != error_codes.MESSAGES["not_found"]
    invalid = await client.post("/api/auth/login", json={"login": 5}, headers=zh)
    assert invalid.status_code == 400 and invalid.json()["code"] == "invalid_input"
    assert invalid.json()["message_zh"] == error_codes.chinese("invalid_input")


def test_every_registered_code_is_explained_in_chinese_on_the_pages() -> None:
    """The fallback "It did not work: <English reason>" is unreachable for a registered code."""
    zh = i18n.translator("zh")
    fallback = zh("It did not work: %(reason)s", reason="")
    for code in error_codes.MESSAGES:
        shown = friendly.explain(DomainError("An English reason nobody translated.", code=code), zh)
        assert not shown.startswith(fallback), code
        english = [run for run in ASCII_SENTENCE.findall(shown) if not run.startswith("SERVICEBANK")]
        assert not english, (code, shown)


def test_a_page_raised_sentence_from_the_catalogue_beats_the_codes_general_words() -> None:
    """The repeat picker raises invalid_repeat with several precise sentences; the precise one is shown."""
    zh = i18n.translator("zh")
    shown = friendly.explain(DomainError("Choose weekly or monthly.", code="invalid_repeat"), zh)
    assert shown == zh("Choose weekly or monthly.")


async def test_a_mistyped_address_in_a_browser_is_a_chinese_page_and_programs_keep_json(client) -> None:  # noqa: ANN001
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    page = await client.get("/no-such-page", headers=html)
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "找不到" in page.text and "servicebank.invalid/problems" not in page.text
    api = await client.get("/api/no-such-route", headers=html)
    assert api.status_code == 404 and api.headers["content-type"].startswith("application/problem+json")
    program = await client.get("/no-such-page")
    assert program.headers["content-type"].startswith("application/problem+json")
