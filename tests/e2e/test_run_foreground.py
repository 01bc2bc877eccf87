"""`youth-guarantee run` keeps the stack in the foreground and Ctrl-C (SIGINT) stops every process it started."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.e2e.test_stack import REPO, stack_ports_free, stack_processes


def test_ctrl_c_stops_every_process_cleanly(tmp_path: Path) -> None:
    stack_ports_free()
    env = {k: v for k, v in os.environ.items() if not k.endswith("_DATABASE_URL") and k != "KAFKA_BOOTSTRAP_SERVERS"}
    env.update(YG_DATA_DIR=str(tmp_path / "data"), YG_RUN_DIR=str(tmp_path / "run"), SEED="0", YG_ENV="development")
    run = subprocess.Popen(
        [sys.executable, "-m", "infra.cli", "run"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output: list[str] = []
    try:
        assert run.stdout is not None
        for line in run.stdout:
            output.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        assert httpx.get("http://127.0.0.1:8001/ready", timeout=5).status_code == 200, "".join(output)
        run.send_signal(signal.SIGINT)
        output.extend(run.stdout)
        assert run.wait(timeout=60) == 0, "".join(output)
    finally:
        if run.poll() is None:
            run.kill()
            subprocess.run([sys.executable, "-m", "infra.cli", "down"], cwd=REPO, env=env, timeout=120)
    assert any(line.startswith("stopped: ") and "broker" in line for line in output), "".join(output)
    time.sleep(0.5)
    assert stack_processes(tmp_path / "run") == []
