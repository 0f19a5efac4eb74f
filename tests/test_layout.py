"""The folder platform/ is imported as `servicebank` and must never shadow the stdlib `platform`."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_platform_folder_has_no_init_py() -> None:
    assert not (ROOT / "platform" / "__init__.py").exists(), (
        "platform/__init__.py shadows the stdlib module 'platform'; the import name is mapped in pyproject.toml"
    )


def test_stdlib_platform_still_works_from_repo_root() -> None:
    result = subprocess.run([sys.executable, "-c", "import platform; print(platform.system())"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip()


def test_litestar_and_sqlalchemy_import_from_repo_root() -> None:
    result = subprocess.run([sys.executable, "-c", "import litestar, sqlalchemy, uvicorn; import servicebank.app"],
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


def test_every_subpackage_is_listed_in_pyproject() -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    listed = set(config["tool"]["setuptools"]["packages"])
    found = {"servicebank." + p.parent.relative_to(ROOT / "platform").as_posix().replace("/", ".")
             for p in (ROOT / "platform").rglob("__init__.py")}
    assert found <= listed, f"add to pyproject.toml packages: {sorted(found - listed)}"
