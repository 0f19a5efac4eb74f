"""Translations for the web pages: gettext .po catalogues (msgid in English), Chinese by default.

The .po files are read directly (no compile step, no runtime dependency): a catalogue is a handful
of short strings, parsed once per process. `pybabel extract` can refresh them (see docs/web.md).
"""

from __future__ import annotations

import ast
from functools import lru_cache
from pathlib import Path

LOCALES_DIR = Path(__file__).parent / "locales"
DEFAULT_LANG = "zh"
LANGS = {"zh": "zh_CN", "en": "en"}
LANG_COOKIE = "sb_lang"


def _unquote(text: str) -> str:
    # .po strings use C escapes, which a Python string literal reads the same way.
    return ast.literal_eval(text)


def parse_po(text: str) -> dict[str, str]:
    """msgid -> msgstr of a .po file (untranslated and fuzzy entries left out)."""
    catalogue: dict[str, str] = {}
    msgid: list[str] | None = None
    msgstr: list[str] | None = None
    current: list[str] | None = None
    fuzzy = False

    def flush() -> None:
        if msgid is not None and msgstr is not None and not fuzzy:
            key, value = "".join(msgid), "".join(msgstr)
            if key and value:
                catalogue[key] = value

    for raw in text.splitlines() + [""]:
        line = raw.strip()
        if not line:
            flush()
            msgid = msgstr = current = None
            fuzzy = False
        elif line.startswith("#,") and "fuzzy" in line:
            fuzzy = True
        elif line.startswith("#"):
            continue
        elif line.startswith("msgid "):
            flush()
            msgid, msgstr = [_unquote(line[6:])], None
            current = msgid
        elif line.startswith("msgstr "):
            msgstr = [_unquote(line[7:])]
            current = msgstr
        elif line.startswith('"') and current is not None:
            current.append(_unquote(line))
    return catalogue


@lru_cache(maxsize=4)
def catalogue(lang: str) -> dict[str, str]:
    """The translations of one language (empty for English, the language of the msgids)."""
    folder = LANGS.get(lang)
    path = LOCALES_DIR / str(folder) / "LC_MESSAGES" / "messages.po"
    if folder is None or not path.exists():
        return {}
    return parse_po(path.read_text(encoding="utf-8"))


def pick_lang(cookie_value: str | None) -> str:
    """The language from the cookie, Chinese when unset or unknown."""
    return cookie_value if cookie_value in LANGS else DEFAULT_LANG


def translator(lang: str):  # noqa: ANN201
    """A `_()` for templates and code: `_("Hello %(name)s", name="李")`."""
    messages = catalogue(lang)

    def gettext(message: str, **values: object) -> str:
        text = messages.get(message, message)
        return text % values if values else text

    return gettext


def N_(message: str) -> str:  # noqa: N802  (the conventional gettext marker name)
    """Mark a string for translation where it is defined; translate it where it is shown."""
    return message


# Values from the domains that the templates pass through _(): statuses, flags, ledger kinds.
DYNAMIC = [
    N_("draft"), N_("pending_approval"), N_("published"), N_("in_progress"), N_("completed"), N_("cancelled"),
    N_("confirmed"), N_("waitlisted"), N_("withdrawn"),
    N_("checked_in"), N_("checked_out"), N_("auto_closed"), N_("approved"), N_("declined"), N_("no_show"),
    N_("notice"), N_("final"), N_("completed"), N_("refunded"),
    N_("service"), N_("redemption"), N_("transfer"), N_("refund"), N_("reversal"), N_("adjustment"),
    N_("service_adjustment"), N_("service_reversal"),
    N_("proxy_check_in"), N_("proxy_check_out"), N_("outside_geofence"), N_("not_signed_up"), N_("walk_in"),
    N_("no_location"), N_("activity_cancelled"), N_("manual"), N_("over_capacity"),
    N_("Checked in."), N_("Already checked in."), N_("Checked out."), N_("Already checked out."),
    N_("Checked out and approved."), N_("requested"), N_("issued"), N_("revoked"), N_("rejected"), N_("It did not work: %(reason)s"),
    # Volunteer, series and objection statuses on the organiser pages.
    N_("pending"), N_("active"), N_("suspended"), N_("left"), N_("open"), N_("upheld"), N_("dismissed"),
    # Late claims and correction requests (records).
    N_("accepted"),
    # Kinds of training (培训情况).
    N_("general"), N_("professional"), N_("pre_service"),
]
