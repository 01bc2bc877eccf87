"""`youth-guarantee up` brings the whole stack to /ready on a fresh data folder; `down` leaves no process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from infra.broker import port_open
from infra.stack import BROKER_PORT, SERVICES

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, "-m", "infra.cli"]


def _stack_processes(run_dir: Path) -> list[str]:
    out = subprocess.run(["ps", "-eo", "pid,args"], capture_output=True, text=True, check=True).stdout
    markers = ("uvicorn --factory services.", "infra.relay", "streamlit run", f"127.0.0.1:{BROKER_PORT}")
    return [line for line in out.splitlines() if any(marker in line for marker in markers)]


@pytest.fixture
def stack_env(tmp_path: Path) -> dict[str, str]:
    ports = [BROKER_PORT, *(c.port for c in SERVICES), 8501]
    busy = [port for port in ports if port and port_open("127.0.0.1", port)]
    if busy:
        pytest.fail(f"ports {busy} are taken; stop the running stack (youth-guarantee down) before this test")
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL") and k != "KAFKA_BOOTSTRAP_SERVERS"}
    env.update(YG_DATA_DIR=str(tmp_path / "data"), YG_RUN_DIR=str(tmp_path / "run"), SEED="1")
    return env


def test_up_is_ready_within_60s_and_down_leaves_nothing(stack_env: dict[str, str], tmp_path: Path) -> None:
    started = time.monotonic()
    up = subprocess.Popen(
        [*CLI, "up"], cwd=REPO, env=stack_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    output: list[str] = []
    profiles_ready_after = None
    try:
        assert up.stdout is not None
        for line in up.stdout:
            output.append(line)
            if profiles_ready_after is None and line.startswith("profiles: ready"):
                profiles_ready_after = time.monotonic() - started
        assert up.wait(timeout=600) == 0, "".join(output)
        assert httpx.get("http://127.0.0.1:8001/ready", timeout=5).status_code == 200
        assert profiles_ready_after is not None and profiles_ready_after < 60, "".join(output)
        for component in SERVICES:
            if component.is_built():
                assert httpx.get(f"{component.url}/ready", timeout=5).status_code == 200, component.name
        assert (tmp_path / "run" / "pids" / "profiles.pid").exists()
        assert (tmp_path / "data" / "profiles.db").exists()
    finally:
        down = subprocess.run([*CLI, "down"], cwd=REPO, env=stack_env, capture_output=True, text=True, timeout=120)
    assert down.returncode == 0, down.stderr
    assert "broker" in down.stdout
    time.sleep(0.5)
    assert _stack_processes(tmp_path / "run") == []
    assert not any(port_open("127.0.0.1", c.port) for c in SERVICES if c.port)
