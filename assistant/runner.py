"""Start, watch and stop the two processes of the assistant: Rasa (its own venv) and the app.

Used by ``assistant run`` (the developer's ``make run``), by the integration tests and by the benchmarks, so
that all three start the stack exactly the same way.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

import httpx

from assistant.gateway.rasa_client import rasa_auth
from assistant.settings import PROJECT_ROOT, Settings, get_settings

RASA_PYTHON = PROJECT_ROOT / ".venv-rasa" / "bin" / "python"


class StartupFailed(RuntimeError):
    pass


def _port_of(url: str) -> tuple[str, int]:
    parsed = urlparse(url)
    return parsed.hostname or "127.0.0.1", parsed.port or 80


@dataclass
class Stack:
    settings: Settings = field(default_factory=get_settings)
    rasa_workers: int | None = None
    app_workers: int | None = None
    mail_sink: bool = False  # development: a local SMTP server writing var/mail/*.eml (`assistant run` turns it on)
    extra_env: dict[str, str] = field(default_factory=dict)
    log_dir: Path | None = None
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def app_url(self) -> str:
        return f"http://{self.settings.host}:{self.settings.port}"

    @property
    def rasa_url(self) -> str:
        return self.settings.rasa_url

    def _env(self) -> dict[str, str]:
        s = self.settings
        var = s.var_dir
        env = {
            **os.environ,
            "ASSISTANT_ACTION_URL": f"{self.app_url}/webhook",
            "ASSISTANT_ACTION_TOKEN": s.action_token.get_secret_value(),
            "ASSISTANT_RASA_TRACKER_DB": str(var / "rasa" / "tracker.db"),
            "ASSISTANT_RASA_URL": s.rasa_url,
            "ASSISTANT_HOST": s.host,
            "ASSISTANT_PORT": str(s.port),
            "ASSISTANT_VAR_DIR": str(var),
            "SANIC_WORKERS": str(self.rasa_workers or s.rasa_workers),
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONUNBUFFERED": "1",
            "PYTHONPATH": str(PROJECT_ROOT),  # Rasa imports rasa_addons.components
            **self.extra_env,
        }
        # Rasa's API token by environment or file, never by argument (ps shows arguments to every user).
        if s.rasa_token_file is not None:
            env["ASSISTANT_RASA_TOKEN_FILE"] = str(s.rasa_token_file)
            env.pop("ASSISTANT_RASA_TOKEN", None)
        else:
            env["ASSISTANT_RASA_TOKEN"] = s.rasa_token.get_secret_value()
        return env

    def _log(self, name: str) -> int | None:
        log_dir = self.log_dir or (self.settings.var_dir / "log")
        log_dir.mkdir(parents=True, exist_ok=True)
        return os.open(log_dir / f"{name}.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)

    def start_rasa(self) -> None:
        model = self.settings.rasa_model
        if not model.exists():
            raise StartupFailed(f"no trained model at {model}; run `make train`")
        (self.settings.var_dir / "rasa").mkdir(parents=True, exist_ok=True)
        host, port = _port_of(self.settings.rasa_url)
        cmd = [
            str(RASA_PYTHON), str(PROJECT_ROOT / "rasa_addons" / "launch.py"), "run",
            "--model", str(model), "--endpoints", str(self.settings.rasa_endpoints),
            "--credentials", str(PROJECT_ROOT / "credentials.yml"),
            "--interface", host, "--port", str(port),
            "--enable-api", "--response-timeout", "30",  # the API token goes by environment (launch.py)
        ]
        log = self._log("rasa")
        self.processes["rasa"] = subprocess.Popen(
            cmd, cwd=PROJECT_ROOT, env=self._env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_app(self) -> None:
        s = self.settings
        cmd = [
            sys.executable, "-m", "uvicorn", "assistant.gateway.app:create_app", "--factory",
            "--host", s.host, "--port", str(s.port), "--workers", str(self.app_workers or s.workers),
            "--no-access-log", "--log-level", "warning",
            # The app resolves X-Forwarded-For itself, only from ASSISTANT_TRUSTED_PROXIES (gateway/ratelimit.py);
            # uvicorn's own rewriting would trust any loopback peer's header.
            "--no-proxy-headers",
        ]
        log = self._log("app")
        self.processes["app"] = subprocess.Popen(
            cmd, cwd=PROJECT_ROOT, env=self._env(), stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start_mail_sink(self) -> None:
        s = self.settings
        cmd = [sys.executable, "-m", "assistant.cli", "mail", "sink", "--host", s.smtp_host, "--port", str(s.smtp_port)]
        self.processes["mail"] = subprocess.Popen(
            cmd, cwd=PROJECT_ROOT, env=self._env(), stdout=self._log("mail"), stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def _check_alive(self) -> None:
        for name, proc in self.processes.items():
            if proc.poll() is not None:
                raise StartupFailed(f"{name} exited with code {proc.returncode}; see var/log/{name}.log")

    def wait_rasa(self, timeout: float = 180.0) -> float:
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            self._check_alive()
            with contextlib.suppress(httpx.HTTPError):
                r = httpx.get(f"{self.rasa_url}/status", headers=rasa_auth(self.settings), timeout=2.0)
                if r.status_code == 200 and r.json().get("model_file"):
                    return time.monotonic() - started
            time.sleep(0.3)
        raise StartupFailed(f"rasa not ready after {timeout:.0f} s; see var/log/rasa.log")

    def wait_app(self, timeout: float = 120.0, require_healthy: bool = True) -> float:
        started = time.monotonic()
        last = ""
        while time.monotonic() - started < timeout:
            self._check_alive()
            with contextlib.suppress(httpx.HTTPError):
                r = httpx.get(f"{self.app_url}/healthz", timeout=10.0)
                last = r.text
                if r.status_code == 200 or (not require_healthy and r.status_code in (200, 503)):
                    return time.monotonic() - started
            time.sleep(0.3)
        raise StartupFailed(f"app not healthy after {timeout:.0f} s: {last[:300]}; see var/log/app.log")

    def start(self, timeout: float = 240.0) -> float:
        """Start both and wait until a turn can be answered; returns seconds to ready."""
        started = time.monotonic()
        if self.mail_sink:
            self.start_mail_sink()
        self.start_app()
        self.start_rasa()
        try:
            self.wait_rasa(timeout)
            self.wait_app(max(10.0, timeout - (time.monotonic() - started)))
        except BaseException:
            self.stop()
            raise
        return time.monotonic() - started

    def stop_process(self, name: str, timeout: float = 15.0) -> None:
        proc = self.processes.pop(name, None)
        if proc is None or proc.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)

    def stop(self) -> None:
        for name in ("app", "rasa", "mail"):
            self.stop_process(name)


@contextlib.contextmanager
def running_stack(**kwargs: object) -> Iterator[Stack]:
    stack = Stack(**kwargs)  # type: ignore[arg-type]
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
