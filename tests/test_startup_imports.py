"""Start-up stays quick: the command line loads no web framework, database layer or document library,
and the API loads the PDF, spreadsheet, calendar and QR libraries only when a request needs them.
(Fresh interpreters: the test process itself has imported everything.)"""

from __future__ import annotations

import json
import os
import subprocess
import sys

HEAVY_FOR_EVERY_PROCESS = ("fpdf", "openpyxl", "qrcode", "PIL", "icalendar", "schemathesis", "hypothesis")


def _loaded(code: str, env: dict[str, str] | None = None) -> set[str]:
    probe = f"{code}\nimport json, sys\nprint(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}})))"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120,
                            env=env or os.environ.copy())
    assert result.returncode == 0, result.stderr
    return set(json.loads(result.stdout.strip().splitlines()[-1]))


def test_the_command_line_loads_no_framework_database_or_documents() -> None:
    loaded = _loaded("import servicebank.cli")
    assert not loaded & {"litestar", "sqlalchemy", "advanced_alchemy", "uvicorn", "dramatiq",
                         *HEAVY_FOR_EVERY_PROCESS}, loaded


def test_the_api_loads_document_libraries_on_first_use(tmp_path) -> None:  # noqa: ANN001
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    env["SERVICEBANK_DATABASE_URL"] = f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"
    loaded = _loaded("from servicebank.app import create_app\ncreate_app()", env)
    assert "litestar" in loaded
    assert not loaded & set(HEAVY_FOR_EVERY_PROCESS), loaded
