"""The pages call the domains' service functions, as the API does: no repository, no query in platform/web/.

Walks the web package's source with `ast` and fails on what would put a query in a page: an import of a
domain's repository module (or of SQLAlchemy's query builders), a `select(...)`, or a session asked to run one
(`execute`, `scalar`, `scalars`, `get`, `stream`). A query a page needs belongs in its domain's repository,
behind a service function the API can share (docs/contributing.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import servicebank.web

WEB = Path(servicebank.web.__file__).parent
SESSION_QUERIES = {"execute", "scalar", "scalars", "get", "stream", "stream_scalars"}
# Only the session type comes from SQLAlchemy: a page that builds a query has one in the wrong place.
SQLALCHEMY_ALLOWED = {("sqlalchemy.ext.asyncio", "AsyncSession")}
# (file, function) allowed to run a query until a change moves it out; empty now that the scan page calls the
# check-ins service for everything.
KNOWN: set[tuple[str, str]] = set()


def _is_repository(module: str) -> bool:
    last = module.rsplit(".", 1)[-1]
    return last == "repository" or last.endswith("_repository")


def _session_name(node: ast.expr) -> bool:
    name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
    return name == "session" or name.endswith("_session")


def problems_in(path: Path) -> list[str]:
    """What in one module runs or builds a query, as "file:line what"."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    where = path.relative_to(WEB).as_posix() if path.is_relative_to(WEB) else path.name
    found: list[str] = []
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]

    def known(node: ast.AST) -> bool:
        return any((where, f.name) in KNOWN and f.lineno <= node.lineno <= (f.end_lineno or f.lineno)
                   for f in functions)

    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.module.startswith("sqlalchemy"):
                found += [f"{where}:{node.lineno} imports {node.module}.{a.name}" for a in node.names
                          if (node.module, a.name) not in SQLALCHEMY_ALLOWED]
            elif _is_repository(node.module):
                found.append(f"{where}:{node.lineno} imports {node.module}")
            else:
                found += [f"{where}:{node.lineno} imports {node.module}.{a.name}" for a in node.names
                          if _is_repository(a.name)]
        elif isinstance(node, ast.Import):
            found += [f"{where}:{node.lineno} imports {a.name}" for a in node.names
                      if a.name.startswith("sqlalchemy") or _is_repository(a.name)]
        elif isinstance(node, ast.Call) and not known(node):
            func = node.func
            if isinstance(func, ast.Name) and func.id == "select":
                found.append(f"{where}:{node.lineno} builds select(...)")
            elif (isinstance(func, ast.Attribute) and func.attr in SESSION_QUERIES
                  and _session_name(func.value)):
                found.append(f"{where}:{node.lineno} runs session.{func.attr}(...)")
    return found


def test_the_web_layer_runs_no_query_of_its_own() -> None:
    found = [p for path in sorted(WEB.rglob("*.py")) for p in problems_in(path)]
    assert not found, "move these into the domain's repository, behind a service function:\n" + "\n".join(found)


def test_the_check_finds_what_it_forbids(tmp_path: Path) -> None:
    """A page with each forbidden thing is caught, so the walk above cannot pass by seeing nothing."""
    page = tmp_path / "probe.py"
    page.write_text("from sqlalchemy import select\nfrom servicebank.volunteers import repository\n"
                    "from servicebank.audit.repository import page\n"
                    "async def f(db_session):\n    await db_session.scalar(select(1))\n"
                    "    await db_session.get(object, 1)\n", encoding="utf-8")
    found = problems_in(page)
    assert len(found) == 6, found


def test_known_exceptions_still_exist() -> None:
    """An entry of KNOWN whose query has gone is removed, so the list never hides a new one."""
    for where, function in KNOWN:
        source = (WEB / where).read_text(encoding="utf-8")
        assert f"def {function}(" in source, (where, function)


def test_every_template_a_page_or_template_names_exists() -> None:
    """Templates moved into per-domain folders: a name left at its old place would fail only when the page opens."""
    import re

    templates = WEB / "templates"
    missing = [(str(f.relative_to(WEB)), name) for f in WEB.rglob("*.py")
               for name in re.findall(r'"([\w/]+\.html)"', f.read_text(encoding="utf-8"))
               if not (templates / name).exists()]
    missing += [(str(f.relative_to(WEB)), name) for f in templates.rglob("*.html")
                for name in re.findall(r'(?:include|extends|import)\s+"([\w/]+\.html)"', f.read_text(encoding="utf-8"))
                if not (templates / name).exists()]
    assert missing == []
