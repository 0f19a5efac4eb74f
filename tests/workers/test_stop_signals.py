"""SIGTERM to a real `servicebank worker` or `servicebank scheduler` (as systemd or docker send it)
stops the process and every process it started, and both log JSON lines in production."""

from __future__ import annotations

import json
import signal
from pathlib import Path

from tests import processes


def _json_lines(text: str) -> list[dict]:
    lines = [line for line in text.splitlines() if line.strip()]
    for line in lines:
        try:
            json.loads(line)
        except ValueError:
            raise AssertionError(f"not a JSON log line: {line!r}") from None
    return [json.loads(line) for line in lines]


def _stop_and_check(proc, tree: set[int], log_dir: Path, name: str) -> list[dict]:  # noqa: ANN001
    try:
        proc.send_signal(signal.SIGTERM)
        proc.wait(90)
        # Generous: the bound is "they do stop", not how fast (docs/deploy.md has the measured times).
        left = processes.wait_gone(tree, 90)
        assert left == set(), f"{name} left processes running after SIGTERM"
    finally:
        processes.kill_all(tree)
        if proc.poll() is None:
            processes.stop_tree(proc)
    return _json_lines(processes.output(log_dir, name))


def test_sigterm_stops_the_worker_and_its_dramatiq_processes(postgres_url, redis_server, tmp_path) -> None:  # noqa: ANN001
    env = processes.production_env(postgres_url, redis_server.url)
    proc = processes.start(["worker", "-p", "2", "-t", "2"], env, tmp_path, "worker")
    try:
        processes.wait_for(lambda: processes.output(tmp_path, "worker").count("ready for action") >= 2, 120,
                           "both worker processes to be ready", proc)
        tree = processes.descendants(proc.pid)
        assert len(tree) >= 2, tree
    except BaseException:
        processes.stop_tree(proc)
        raise
    lines = _stop_and_check(proc, tree, tmp_path, "worker")
    assert proc.returncode == 0
    assert any("Shutting down" in line["msg"] for line in lines)


def test_sigterm_stops_the_scheduler(postgres_url, redis_server, tmp_path) -> None:  # noqa: ANN001
    env = processes.production_env(postgres_url, redis_server.url)
    proc = processes.start(["scheduler"], env, tmp_path, "scheduler")
    try:
        processes.wait_for(lambda: "active instance" in processes.output(tmp_path, "scheduler"), 120,
                           "the scheduler to become active", proc)
        tree = processes.descendants(proc.pid)
    except BaseException:
        processes.stop_tree(proc)
        raise
    lines = _stop_and_check(proc, tree, tmp_path, "scheduler")
    assert proc.returncode == 0, processes.output(tmp_path, "scheduler")
    assert any("active instance" in line["msg"] for line in lines)
