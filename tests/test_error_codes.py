"""The error registry (platform/error_codes.py) is complete: every code the source can raise is in it, and has
Chinese words in the pages' catalogue. Other branches add codes all the time: this test names what is missing."""

from __future__ import annotations

import ast
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from servicebank import error_codes
from servicebank.web import i18n

PLATFORM = Path(error_codes.__file__).parent
PO = "platform/web/locales/zh_CN/LC_MESSAGES/messages.po"
# Calls that carry a code besides the DomainError family: problem+json, the command line's JSON failures and the
# roster import's per-row problems.
CARRIERS = {"problem": 1, "fail": None, "RowProblem": None}


@dataclass(frozen=True)
class Site:
    """Where a code is given: the file, the line and the function around it."""

    path: str
    line: int
    function: str

    def __str__(self) -> str:
        return f"platform/{self.path}:{self.line} ({self.function})"


def _modules() -> dict[str, ast.Module]:
    return {str(p.relative_to(PLATFORM)): ast.parse(p.read_text(encoding="utf-8")) for p in PLATFORM.rglob("*.py")}


def _error_classes(modules: dict[str, ast.Module]) -> set[str]:
    """DomainError and every class that derives from it, anywhere in the platform."""
    bases = {node.name: {ast.unparse(b).split(".")[-1] for b in node.bases}
             for tree in modules.values() for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    found = {"DomainError"}
    while grown := {name for name, of in bases.items() if name not in found and of & found}:
        found |= grown
    return found


def _functions(modules: dict[str, ast.Module]) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]:
    for path, tree in modules.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                yield path, node


def _code_argument(call: ast.Call, carriers: dict[str, int | None]) -> ast.expr | None:
    name = ast.unparse(call.func).split(".")[-1]
    if name not in carriers:
        return None
    keyword = next((kw.value for kw in call.keywords if kw.arg == "code"), None)
    position = carriers[name]
    if keyword is None and position is not None and len(call.args) > position:
        return call.args[position]
    return keyword


def _argument(call: ast.Call, function: ast.FunctionDef | ast.AsyncFunctionDef, param: str) -> ast.expr | None:
    """What a call passes for one parameter of the function it calls (by keyword, by position or the default)."""
    for kw in call.keywords:
        if kw.arg == param:
            return kw.value
    names = [a.arg for a in function.args.args]
    if param in names and names.index(param) < len(call.args):
        return call.args[names.index(param)]
    positional = function.args.args
    defaults = dict(zip([a.arg for a in positional[len(positional) - len(function.args.defaults):]],
                        function.args.defaults, strict=True))
    defaults |= {a.arg: d for a, d in zip(function.args.kwonlyargs, function.args.kw_defaults, strict=True) if d}
    return defaults.get(param)


@functools.cache
def scan() -> tuple[dict[str, list[Site]], list[tuple[Site, str]]]:
    """(code -> where it is raised, code expressions the scan cannot read) over platform/; read once per process
    (the three tests below share it: each read of the whole tree took seconds)."""
    modules = _modules()
    carriers: dict[str, int | None] = {**CARRIERS, **dict.fromkeys(_error_classes(modules))}
    calls_to: dict[str, list[tuple[str, ast.Call]]] = {}
    for path, tree in modules.items():
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""
                calls_to.setdefault(name, []).append((path, node))
    codes: dict[str, list[Site]] = {}
    unread: list[tuple[Site, str]] = []
    for path, function in _functions(modules):
        params = {a.arg for a in [*function.args.args, *function.args.kwonlyargs]}
        for node in ast.walk(function):
            expr = _code_argument(node, carriers) if isinstance(node, ast.Call) else None
            if expr is None:
                continue
            site = Site(path, node.lineno, function.name)
            if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
                codes.setdefault(expr.value, []).append(site)
            elif isinstance(expr, ast.Attribute) and expr.attr == "code":
                continue  # an error caught and passed on: its code was raised (and checked) elsewhere
            elif isinstance(expr, ast.Name) and expr.id in params:
                # A helper that takes the code from its callers (org's _unique, the scope guard): read every call.
                for call_path, call in calls_to.get(function.name, []):
                    given = _argument(call, function, expr.id)
                    call_site = Site(call_path, call.lineno, f"calls {function.name}")
                    if isinstance(given, ast.Constant) and isinstance(given.value, str):
                        codes.setdefault(given.value, []).append(call_site)
                    elif not (isinstance(given, ast.Attribute) and given.attr == "code"):
                        unread.append((call_site, ast.unparse(given) if given is not None else "?"))
                default = _argument(ast.Call(func=function, args=[], keywords=[]), function, expr.id)
                if isinstance(default, ast.Constant) and isinstance(default.value, str):
                    codes.setdefault(default.value, []).append(site)
            else:
                unread.append((site, ast.unparse(expr)))
    for path, tree in modules.items():  # class-level codes of the DomainError family
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef) and node.name in carriers:
                for statement in node.body:
                    if isinstance(statement, ast.Assign) and ast.unparse(statement.targets[0]) == "code" \
                            and isinstance(statement.value, ast.Constant):
                        codes.setdefault(statement.value.value, []).append(Site(path, statement.lineno, node.name))
    return codes, unread


def test_every_code_raised_in_the_source_is_registered() -> None:
    codes, _ = scan()
    missing = {code: sites for code, sites in codes.items() if code not in error_codes.MESSAGES}
    assert not missing, (
        "these error codes are raised but not in the registry. Add each to MESSAGES in platform/error_codes.py "
        "(code -> an English sentence saying what to do next) and its Chinese to " + PO + ":\n"
        + "\n".join(f"  {code}: raised at {', '.join(map(str, sites))}" for code, sites in sorted(missing.items())))


def test_codes_built_at_run_time_are_listed() -> None:
    """A code made from a variable or an f-string cannot be read by the scan: its site lists what it can make."""
    _, unread = scan()
    sites = {f"{site.path}:{site.function.removeprefix('calls ')}" for site, _ in unread}
    unlisted = sorted(f"{site}: code={expr}" for site, expr in unread
                      if f"{site.path}:{site.function.removeprefix('calls ')}" not in error_codes.BUILT)
    assert not unlisted, ("these codes are built at run time. List every code each can make in BUILT in "
                          "platform/error_codes.py (key 'path:function'):\n  " + "\n  ".join(unlisted))
    stale = sorted(set(error_codes.BUILT) - sites)
    assert not stale, f"BUILT lists sites that no longer build codes: {stale}"
    built = {code for made in error_codes.BUILT.values() for code in made}
    assert not built - set(error_codes.MESSAGES), sorted(built - set(error_codes.MESSAGES))


def test_every_registered_code_has_chinese_words() -> None:
    zh = i18n.catalogue("zh")
    missing = sorted(message for message in error_codes.MESSAGES.values() if message not in zh)
    assert not missing, f"add the Chinese for these messages to {PO}:\n" + "\n".join(missing)


def test_registry_messages_are_sentences_and_codes_are_snake_case() -> None:
    for code, message in error_codes.MESSAGES.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", code), code
        assert message[0].isupper() and message.rstrip().endswith((".", "?", "!")), (code, message)


def test_the_scan_sees_helpers_that_take_the_code_from_their_callers() -> None:
    """org's _unique(..., "duplicate_name") passes the code by position, recurrence's _bad by default."""
    codes, _ = scan()
    assert "duplicate_community_code" in codes and "invalid_repeat" in codes and "store_not_found" in codes
    assert "http_error" in error_codes.BUILT["kernel/errors.py:_http_error"]
