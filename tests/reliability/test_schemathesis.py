"""Schemathesis against the OpenAPI schema of every endpoint, authenticated as each role, on a real
server with the demo data: no 5xx, and every 4xx is application/problem+json with a stable code."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import httpx
import pytest
import schemathesis  # noqa: E402  (a test dependency: never skipped)
from hypothesis import HealthCheck, given, settings  # noqa: E402

from tests.figures import figures_file
from tests.servers import free_port

EXAMPLES = int(os.environ.get("SERVICEBANK_TEST_SCHEMATHESIS_EXAMPLES", "3"))
# Kept in docs/ only when asked (SERVICEBANK_TEST_FIGURES_DIR=docs): a test run must not change the checkout.
FIGURES = figures_file("schemathesis-last-run.json")
# Calls that would end the session the run is using.
SKIP = {("POST", "/api/auth/logout"), ("POST", "/api/auth/password"), ("PUT", "/api/auth/password")}
ROLES = [("anonymous", None), ("volunteer", "13900000002"), ("store clerk", "clerk"), ("team leader", "leader"),
         ("organiser", "organiser"), ("street admin", "street"), ("platform admin", "admin")]


@pytest.fixture(scope="module")
def server(tmp_path_factory):  # noqa: ANN001, ANN201
    folder = tmp_path_factory.mktemp("schemathesis")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SERVICEBANK_")}
    env.update(SERVICEBANK_PORT=str(port), SERVICEBANK_DATA_DIR=str(folder))
    proc = subprocess.Popen([sys.executable, "-m", "servicebank.cli", "up"], cwd=folder, env=env,
                            stdout=subprocess.DEVNULL, stderr=open(folder / "server.log", "wb"))  # noqa: SIM115
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(f"{base}/health", timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert proc.poll() is None and time.monotonic() < deadline, (folder / "server.log").read_text()[-3000:]
        time.sleep(0.3)
    yield base, folder
    proc.terminate()
    proc.wait(30)


def _token(base: str, login: str | None) -> str | None:
    if login is None:
        return None
    response = httpx.post(f"{base}/api/auth/login", json={"login": login, "password": "demo1234"}, timeout=30)
    assert response.status_code == 200, response.text
    return response.json()["token"]


def test_no_5xx_and_every_4xx_is_a_problem_with_a_code(server) -> None:  # noqa: ANN001
    base, folder = server
    schema = schemathesis.openapi.from_url(f"{base}/schema/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.path.startswith("/api/") and (op.method.upper(), op.path) not in SKIP]
    assert len(operations) > 50, "the schema should list every API endpoint"
    tokens = {role: _token(base, login) for role, login in ROLES}
    problems: list[str] = []
    counts = {"cases": 0, "5xx": 0, "4xx": 0, "2xx_3xx": 0}
    with httpx.Client(base_url=base, timeout=60) as http:
        for role, _ in ROLES:
            headers = {"Authorization": f"Bearer {tokens[role]}"} if tokens[role] else {}
            for operation in operations:

                @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                          suppress_health_check=list(HealthCheck))
                @given(case=operation.as_strategy())
                def run(case) -> None:  # noqa: ANN001
                    # run() is called once, below, in the same iteration: the loop variables are current.
                    kwargs = case.as_transport_kwargs(base_url=base, headers=headers)  # noqa: B023
                    response = http.request(kwargs["method"], kwargs["url"], headers=kwargs.get("headers"),
                                            params=kwargs.get("params"), content=_body(kwargs))
                    counts["cases"] += 1
                    where = f"{role}: {case.method} {case.formatted_path}"  # noqa: B023
                    if response.status_code >= 500:
                        counts["5xx"] += 1
                        problems.append(f"{where} -> {response.status_code} {response.text[:200]}")
                    elif response.status_code >= 400:
                        counts["4xx"] += 1
                        is_problem = response.headers.get("content-type", "").startswith("application/problem+json")
                        if not is_problem or "code" not in response.json():
                            problems.append(f"{where} -> {response.status_code} without a problem code")
                    else:
                        counts["2xx_3xx"] += 1

                run()
    FIGURES.write_text(json.dumps({"operations": len(operations), "roles": len(ROLES),
                                   "examples_per_operation": EXAMPLES, **counts}, indent=2) + "\n")
    (folder / "problems.txt").write_text("\n".join(problems))
    assert problems == [], "\n".join(problems[:20])


def _body(kwargs: dict) -> bytes | None:  # noqa: ANN001
    if "json" in kwargs:
        return json.dumps(kwargs["json"]).encode()
    data = kwargs.get("data") or kwargs.get("content")
    if isinstance(data, str):
        return data.encode()
    return data
