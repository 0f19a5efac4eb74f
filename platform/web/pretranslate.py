"""Templates translated when they are compiled: one Jinja environment per language.

A page calls `_` twenty to forty times, each a call through Jinja's context, a catalogue lookup and an escape
of the result: a third of rendering the scan page that a festival's volunteers post to (issue 18,
bench/checkin.md). Most of those calls translate a string literal. This extension replaces each such call (the
name `_`, a parenthesis, one string, a parenthesis) with the translated string in the token stream, before the
template is compiled, so Jinja folds it into the page's fixed text. Calls with values (a placeholder filled by
keyword, or a status read from a record) are left to the `_` that render.context provides, at render time; they
translate with the same catalogue.

The template sources stay as they are: `pybabel extract` still finds every message (docs/web.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from jinja2.ext import Extension
from jinja2.lexer import Token, TokenStream


class PreTranslated(Extension):
    """A call of `_` on one string literal becomes that string in the environment's language (`catalogue`)."""

    def __init__(self, environment) -> None:  # noqa: ANN001 - jinja2.Environment
        super().__init__(environment)
        environment.extend(catalogue={})

    def filter_stream(self, stream: TokenStream) -> Iterable[Token]:
        return _translated(list(stream), self.environment.catalogue)  # type: ignore[attr-defined]


def _translated(tokens: list[Token], catalogue: dict[str, str]) -> Iterator[Token]:
    i = 0
    while i < len(tokens):
        token = tokens[i]
        call = tokens[i:i + 4]
        if (token.type == "name" and token.value == "_" and [t.type for t in call] == ["name", "lparen", "string",
                                                                                         "rparen"]
                and (i == 0 or tokens[i - 1].type != "dot")):  # not a method named `_` of some object
            message = call[2].value
            yield Token(token.lineno, "string", catalogue.get(message, message))
            i += 4
            continue
        yield token
        i += 1
