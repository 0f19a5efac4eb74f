"""Every string the pages show has a Chinese translation; the .po reader handles the gettext format."""

from __future__ import annotations

import re
from pathlib import Path

from servicebank.web import friendly, i18n

WEB = Path(i18n.__file__).parent
# _("...") in templates and code, N_("...") markers; both quote styles.
CALL = re.compile(r"""\bN?_\(\s*(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')""")
# Values that reach _() at run time: statuses, flags, ledger kinds (see i18n.DYNAMIC).


def used_messages() -> set[str]:
    """Every literal msgid in the web package's templates and modules, plus the friendly messages."""
    found: set[str] = set(friendly.MESSAGES.values()) | set(i18n.DYNAMIC)
    for path in [*WEB.glob("templates/**/*.html"), *WEB.glob("**/*.py")]:
        for a, b in CALL.findall(path.read_text(encoding="utf-8")):
            found.add((a or b).replace('\\"', '"').replace("\\'", "'"))
    return found


def test_every_message_has_a_chinese_translation() -> None:
    zh = i18n.catalogue("zh")
    missing = sorted(m for m in used_messages() if m not in zh)
    assert not missing, "add these to platform/web/locales/zh_CN/LC_MESSAGES/messages.po:\n" + "\n".join(missing)


def test_placeholders_survive_translation() -> None:
    zh = i18n.catalogue("zh")
    for msgid, msgstr in zh.items():
        assert sorted(re.findall(r"%\((\w+)\)s", msgid)) == sorted(re.findall(r"%\((\w+)\)s", msgstr)), msgid


def test_po_reader_joins_lines_and_skips_fuzzy_and_empty() -> None:
    text = '''
msgid ""
msgstr "Content-Type: text/plain; charset=UTF-8\\n"

msgid "Check in"
msgstr "签到"

msgid "Long "
"line"
msgstr "长"
"行"

#, fuzzy
msgid "Guess"
msgstr "猜的"

msgid "Untranslated"
msgstr ""
'''
    assert i18n.parse_po(text) == {"Check in": "签到", "Long line": "长行"}


def test_translator_fills_values_and_falls_back_to_english() -> None:
    zh, en = i18n.translator("zh"), i18n.translator("en")
    assert zh("Check in") == "签到"
    assert en("Check in") == "Check in"
    assert zh("Hello, %(name)s", name="李") == "您好，李"
    assert zh("no such message") == "no such message"
    assert i18n.pick_lang("en") == "en" and i18n.pick_lang("xx") == "zh" and i18n.pick_lang(None) == "zh"


def test_codes_shown_on_pages_have_english_words() -> None:
    """Statuses, flags and ledger kinds reach _() as codes ("in_progress", "walk_in"): English mode needs words."""
    en = i18n.catalogue("en")
    codes = [m for m in i18n.DYNAMIC if re.fullmatch(r"[a-z_]+", m)]
    missing = sorted(c for c in codes if c not in en)
    assert not missing, "add these to platform/web/locales/en/LC_MESSAGES/messages.po:\n" + "\n".join(missing)
    assert en["in_progress"] == "In progress" and en["walk_in"] == "Walk-in"


def test_taizhang_headings_have_english_words() -> None:
    from servicebank.reports import export

    en = i18n.catalogue("en")
    headings = [*export.SUMMARY_HEADERS, *(label for _, label in export.SUMMARY_LINES),
                *(h for h in export.BREAKDOWN_HEADERS if "{" not in h), "汇总", "按活动类型", "按服务对象", "按社区",
                "活动类型", "服务对象", "社区"]
    assert not [h for h in headings if h not in en]
