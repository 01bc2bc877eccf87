"""The local stack: broker, services, relay and UI as child processes, with pid files and logs under the run
folder, readiness checks, and a clean stop."""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from infra.broker import LocalBroker, port_open
from services.common.settings import CommonSettings, ServiceAddresses
from services.common.tokens import ISSUER_KEY, SERVICE_NAMES, ensure_keys

REPO = Path(__file__).resolve().parent.parent
UI_APP = REPO / "ui" / "streamlit" / "app.py"


def development_keys(rotate: tuple[str, ...] = ()) -> Path:
    """Development keys under the data folder (never committed): the issuer's and one per service, and their JWKS."""
    return ensure_keys(CommonSettings().resolved_keys_dir(), (ISSUER_KEY, *SERVICE_NAMES), rotate=rotate)


ADDRESSES = ServiceAddresses()
# How long a service keeps an idle connection open. Longer than its clients keep one (httpx: 5 s), so a client never
# sends a request on a connection the server is closing at that moment: with uvicorn's 5 s against httpx's 5 s, 2 of
# 320 requests sent after about 5 s idle failed (ReadError, RemoteProtocolError), as the load bench's did now and then.
KEEP_ALIVE_SECONDS = 30


def uvicorn_argv(module: str, host: str, port: int, log_level: str = "warning") -> list[str]:
    """The command that serves a service's app (`module:create_app`)."""
    return [sys.executable, "-m", "uvicorn", "--factory", f"{module}:create_app", "--host", host, "--port", str(port),
            "--timeout-keep-alive", str(KEEP_ALIVE_SECONDS), "--log-level", log_level]


@dataclass(frozen=True)
class Component:
    name: str
    module: str | None = None

    @property
    def port(self) -> int:
        return ADDRESSES.port(self.name)

    def is_built(self) -> bool:
        if self.name == "ui":
            return UI_APP.exists()
        return self.module is not None and importlib.util.find_spec(self.module) is not None

    @property
    def url(self) -> str:
        return ADDRESSES.url(self.name)


SERVICES = tuple(Component(name, f"services.{name}.main") for name in SERVICE_NAMES)
UI = Component("ui")
BROKER_PORT = ADDRESSES.broker_port


@dataclass
class Paths:
    run_dir: Path

    @property
    def logs(self) -> Path:
        return self.run_dir / "logs"

    @property
    def pids(self) -> Path:
        return self.run_dir / "pids"

    def log(self, name: str) -> Path:
        return self.logs / f"{name}.log"

    def pid(self, name: str) -> Path:
        return self.pids / f"{name}.pid"


class StackError(RuntimeError):
    pass


class Stack:
    def __init__(self, run_dir: Path, env: dict[str, str]):
        self.paths = Paths(run_dir)
        self.env = env
        self.processes: dict[str, subprocess.Popen[bytes]] = {}

    def _spawn(self, name: str, argv: list[str]) -> subprocess.Popen[bytes]:
        self.paths.logs.mkdir(parents=True, exist_ok=True)
        self.paths.pids.mkdir(parents=True, exist_ok=True)
        log = open(self.paths.log(name), "ab")  # noqa: SIM115 - the child keeps it
        process = subprocess.Popen(
            argv, stdout=log, stderr=subprocess.STDOUT, env=self.env, cwd=REPO, start_new_session=True
        )
        self.paths.pid(name).write_text(str(process.pid))
        self.processes[name] = process
        return process

    def start_broker(self) -> str:
        """Start Tansu on the address map's broker port unless KAFKA_BOOTSTRAP_SERVERS names a broker."""
        external = self.env.get("KAFKA_BOOTSTRAP_SERVERS")
        if external:
            return f"using the broker at {external}"
        if port_open(ADDRESSES.host, BROKER_PORT):
            raise StackError(f"port {BROKER_PORT} is taken: is a stack already up? try `youth-guarantee down`")
        self.paths.logs.mkdir(parents=True, exist_ok=True)
        broker = LocalBroker(BROKER_PORT, log_path=self.paths.log("broker"))
        broker.start()
        assert broker.process is not None
        self.processes["broker"] = broker.process
        self.paths.pids.mkdir(parents=True, exist_ok=True)
        self.paths.pid("broker").write_text(str(broker.process.pid))
        self.env["KAFKA_BOOTSTRAP_SERVERS"] = broker.bootstrap_servers
        return f"started the local broker (Tansu) on {broker.bootstrap_servers}"

    def start_services(self) -> Iterator[str]:
        for component in SERVICES:
            if not component.is_built():
                yield f"{component.name}: not built yet, not started"
                continue
            if port_open(ADDRESSES.host, component.port):
                raise StackError(f"port {component.port} for {component.name} is taken")
            assert component.module is not None
            self._spawn(component.name, uvicorn_argv(component.module, ADDRESSES.host, component.port))
            yield f"{component.name}: starting on {component.url}"

    def start_mail_server(self) -> str:
        """The development SMTP server the notifications service sends to (unless it is pointed elsewhere)."""
        if self.env.get("NOTIFICATIONS_SMTP_HOST") or self.env.get("NOTIFICATIONS_CHANNEL") == "govuk_notify":
            return "mail: the notifications service sends through the server its settings name"
        if port_open(ADDRESSES.host, ADDRESSES.smtp_port):
            raise StackError(f"port {ADDRESSES.smtp_port} for the development SMTP server is taken")
        self._spawn("mailserver", [sys.executable, "-m", "infra.mailserver"])
        return f"mail: development SMTP server on {ADDRESSES.host}:{ADDRESSES.smtp_port} (read it in the UI's inbox)"

    def start_relay(self) -> str:
        self._spawn("relay", [sys.executable, "-m", "infra.relay"])
        return "relay: publishing the outboxes of profiles, opportunities and matching"

    def start_ui(self) -> str:
        if not UI.is_built():
            return "ui: not built yet, not started"
        self._spawn(
            "ui",
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                str(UI_APP),
                "--server.port",
                str(UI.port),
                "--server.address",
                ADDRESSES.host,
                "--server.headless",
                "true",
                "--browser.gatherUsageStats",
                "false",
            ],
        )
        return f"ui: starting on {UI.url}"

    def wait_ready(self, timeout: float = 240.0) -> Iterator[str]:
        """Yield each component as it answers /ready; raise if one dies or time runs out."""
        pending = [c for c in SERVICES if c.name in self.processes]
        if "ui" in self.processes:
            pending.append(UI)
        deadline = time.monotonic() + timeout
        with httpx.Client(timeout=2.0) as client:
            while pending:
                for component in list(pending):
                    process = self.processes[component.name]
                    if process.poll() is not None:
                        raise StackError(
                            f"{component.name} exited with {process.returncode}; see {self.paths.log(component.name)}"
                        )
                    path = "/_stcore/health" if component is UI else "/ready"
                    try:
                        if client.get(component.url + path).status_code == 200:
                            pending.remove(component)
                            yield f"{component.name}: ready at {component.url}"
                    except httpx.HTTPError:
                        pass
                if time.monotonic() > deadline:
                    names = ", ".join(c.name for c in pending)
                    raise StackError(f"not ready after {timeout:.0f}s: {names}; logs in {self.paths.logs}")
                time.sleep(0.5)

    def check_alive(self) -> str | None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                return f"{name} exited with {process.returncode}; see {self.paths.log(name)}"
        return None

    def stop(self) -> list[str]:
        return stop_from_pid_files(self.paths)


def stop_from_pid_files(paths: Paths, grace: float = 15.0) -> list[str]:
    """Stop every process the run folder names (SIGTERM to its group, SIGKILL after a grace period)."""
    stopped = []
    pid_files = sorted(paths.pids.glob("*.pid")) if paths.pids.exists() else []
    order = {"ui": 0, "relay": 1, "broker": 9}
    pid_files.sort(key=lambda p: order.get(p.stem, 5))
    for pid_file in pid_files:
        pid = int(pid_file.read_text().strip() or 0)
        if pid and _signal_group(pid, signal.SIGTERM):
            deadline = time.monotonic() + grace
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                _signal_group(pid, signal.SIGKILL)
            stopped.append(pid_file.stem)
        pid_file.unlink(missing_ok=True)
    return stopped


def _signal_group(pid: int, sig: signal.Signals) -> bool:
    try:
        os.killpg(pid, sig)
        return True
    except ProcessLookupError:
        return False


def _alive(pid: int) -> bool:
    try:
        waited, _ = os.waitpid(pid, os.WNOHANG)
        if waited == pid:
            return False
    except ChildProcessError:
        pass
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
