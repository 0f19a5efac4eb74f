"""The kernel imports no domain: any domain may import it without a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

KERNEL = Path(__file__).resolve().parents[1] / "platform" / "kernel"
# error_codes is the catalogue of texts (it imports nothing of the platform at load); errors.py reads it to
# answer in the caller's language.
ALLOWED = ("servicebank.config", "servicebank.error_codes", "servicebank.kernel")


def _imported_modules(tree: ast.AST) -> list[str]:
    modules: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.append(node.module)
    return modules


def test_the_kernel_imports_no_domain() -> None:
    files = sorted(KERNEL.glob("*.py"))
    assert files
    offenders = [
        f"{path.name}: {module}"
        for path in files
        for module in _imported_modules(ast.parse(path.read_text(encoding="utf-8")))
        if (module == "servicebank" or module.startswith("servicebank."))
        and not any(module == allowed or module.startswith(allowed + ".") for allowed in ALLOWED)
    ]
    assert offenders == []


def test_the_kernel_helpers_behave() -> None:
    from servicebank.kernel.clock import utcnow
    from servicebank.kernel.qr import qr_data_uri, qr_png, qr_svg
    from servicebank.kernel.text import mask_name

    assert utcnow().utcoffset() is not None
    assert [mask_name(n) for n in ("王秀英", "李四", "A", "  ", "Alice")] == ["王*英", "李*", "A", "*", "A***e"]
    assert qr_png("x").startswith(b"\x89PNG")
    assert b"<svg" in qr_svg("x")
    assert qr_data_uri("x").startswith("data:image/svg+xml;base64,")


def test_only_the_kernel_asks_which_database_this_is() -> None:
    """Dialect branches go through servicebank.kernel.dialect (is_postgres, upsert, ...), so routes, pages and
    services never read `bind.dialect.name` themselves."""
    platform = KERNEL.parent
    offenders = [
        str(path.relative_to(platform))
        for path in sorted(platform.rglob("*.py"))
        if KERNEL not in path.parents and ("dialect.name" in (text := path.read_text(encoding="utf-8"))
                                           or 'dialect == "postgresql"' in text)
    ]
    assert offenders == []


# Domains that records builds on: they ask their questions through hooks (kernel/hooks.py) and never import it.
BELOW_RECORDS = ("activities", "checkins", "requests")


def test_activities_checkins_and_requests_never_import_records() -> None:
    platform = KERNEL.parent
    offenders = [
        f"{domain}/{path.name}: {module}"
        for domain in BELOW_RECORDS
        for path in sorted((platform / domain).glob("*.py"))
        for module in _imported_modules(ast.parse(path.read_text(encoding="utf-8")))
        if module.startswith("servicebank.records")
    ]
    assert offenders == []


def test_records_answers_the_sign_up_and_manual_record_hooks() -> None:
    import servicebank.registry  # noqa: F401  (imports every domain's gates)
    from servicebank.activities import hooks as signup
    from servicebank.checkins import hooks as checkin
    from servicebank.requests import hooks as request

    for hook in (signup.signup_refusals, signup.signup_holds, signup.hold_explanations, signup.missed_counts,
                 checkin.manual_record_refusals, request.acceptance_refusals):
        assert {f.__module__ for f in hook._answers} == {"servicebank.records.gates"}, hook
    # The qualifications a kind requires, then the insurance cover, then the trainings it requires.
    assert [f.__name__ for f in signup.signup_refusals._answers] == ["check_qualifications", "check_cover",
                                                                     "check_training"]
    assert [f.__name__ for f in request.acceptance_refusals._answers] == ["check_request_cover",
                                                                          "check_request_training"]
