"""The README's first command: `servicebank up` serves /health, the OpenAPI page and demo data."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import httpx

from tests.servers import free_port


def test_up_serves_health_schema_and_demo_logins(tmp_path) -> None:  # noqa: ANN001
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    env.update(SERVICEBANK_PORT=str(port), SERVICEBANK_DATA_DIR=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-m", "servicebank.cli", "up"], cwd=tmp_path, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        health = None
        while time.monotonic() < deadline:
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.TransportError:
                assert proc.poll() is None, proc.stdout.read() if proc.stdout else "exited"
                time.sleep(0.3)
        assert health is not None and health.status_code == 200, health and health.text
        body = health.json()
        assert body["mode"] == "embedded" and body["database"]["dialect"] == "sqlite"
        assert body["broker"]["kind"] == "in-process"
        assert httpx.get(f"{base}/schema/openapi.json", timeout=5).json()["info"]["title"] == "Service Bank API"
        login = httpx.post(f"{base}/api/auth/login", json={"login": "organiser", "password": "demo1234"}, timeout=10)
        assert login.status_code == 200, login.text
        assert "organiser" in login.json()["me"]["roles"]
        assert (tmp_path / "servicebank.db").exists()
        assert (tmp_path / "servicebank.keys").stat().st_mode & 0o077 == 0  # its own keys, private
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert "Demo logins" in output and "organiser" in output
