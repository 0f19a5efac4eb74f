"""The kernel imports no domain: any domain may import it without a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

KERNEL = Path(__file__).resolve().parents[1] / "platform" / "kernel"
ALLOWED = ("servicebank.config", "servicebank.kernel")


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
