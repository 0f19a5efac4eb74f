"""Templates are translated when compiled (web/pretranslate.py): a call of `_` on a literal becomes fixed text in
the page's language; calls with values are still made at render time, with the same catalogue."""

from __future__ import annotations

from jinja2 import DictLoader, Environment

from servicebank.web import i18n
from servicebank.web.pretranslate import PreTranslated
from servicebank.web.render import ENVIRONMENTS, TEMPLATES_DIR


def _env(catalogue: dict[str, str], templates: dict[str, str]) -> Environment:
    env = Environment(loader=DictLoader(templates), autoescape=True, extensions=[PreTranslated])
    env.catalogue = catalogue  # type: ignore[attr-defined]
    return env


def test_a_literal_becomes_fixed_text_and_a_call_with_values_stays_a_call() -> None:
    calls: list[str] = []

    def gettext(message: str, **values: object) -> str:
        calls.append(message)
        return f"第{values['n']}名" if message == "No. %(n)s" else message

    env = _env({"Log out": "退出", "No. %(n)s": "第%(n)s名", "A & B": "甲与乙"}, {
        "page.html": '<a title="{{ _(\'Log out\') }}">{{ _("Log out") }}</a>{{ _("No. %(n)s", n=3) }}'
                     '{{ _(status) }}{{ _("Unknown") if flag else _("A & B") }}{{ obj._("Log out") }}'})
    source = env.compile(env.loader.get_source(env, "page.html")[0], raw=True)
    assert "退出" in source and "'Log out'" in source  # fixed text; only obj._("Log out") still names the msgid

    class Obj:
        def _(self, message: str) -> str:
            return f"<{message}>"

    html = env.get_template("page.html").render(_=gettext, status="open", flag=False, obj=Obj())
    assert html == '<a title="退出">退出</a>第3名open甲与乙&lt;Log out&gt;'
    assert calls == ["No. %(n)s", "open"]  # the literals were never looked up at render time


def test_every_page_of_each_language_compiles_with_its_messages_fixed() -> None:
    for lang, env in ENVIRONMENTS.items():
        catalogue = i18n.catalogue(lang)
        for path in sorted(TEMPLATES_DIR.rglob("*.html")):
            name = path.relative_to(TEMPLATES_DIR).as_posix()
            env.get_template(name)  # compiles
        base = env.compile(env.loader.get_source(env, "base.html")[0], raw=True)
        if lang == "zh":
            assert catalogue["Log out"] in base and catalogue["Main menu"] in base
        assert "resolve('_')" not in base and "'_'" not in base, lang  # base.html translates literals only
