"""Real parts for tests: throwaway Redis servers, databases and Tidings server processes."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import pytest

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def need(reason: str) -> None:
    """Skip for a missing tool, except in CI, where a missing tool fails the run."""
    if IN_CI:
        pytest.fail(f"CI must not skip: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class RedisServer:
    """A throwaway redis-server on a free port, which a test may stop and restart."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="tidings-redis-")
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.proc = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.dir,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for(lambda: self.ping(), 10, "redis-server")
        return self

    def ping(self) -> bool:
        import redis

        try:
            return bool(redis.Redis.from_url(self.url, socket_timeout=0.5).ping())
        except Exception:
            return False

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)
        self.proc = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def npm_package(package: str, version: str, timeout: float = 300) -> str:
    """A folder with `package@version` from npm installed, once per machine (cached in the temp folder)."""
    if not shutil.which("node") or not shutil.which("npm"):
        need(f"node and npm are needed for tests with {package}")
    name = package.replace("@", "").replace("/", "-")
    folder = Path(tempfile.gettempdir()) / f"tidings-{name}-{version}"
    if not (folder / "node_modules" / package).exists():
        folder.mkdir(exist_ok=True)
        result = subprocess.run(
            [
                *("npm", "install", "--no-audit", "--no-fund", "--silent"),
                *("--prefix", str(folder), f"{package}@{version}"),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            need(f"npm install {package} failed: {result.stderr[-300:]}")
    return str(folder)


def redis_available() -> bool:
    return shutil.which("redis-server") is not None


class Database:
    """A database of its own for server processes: PostgreSQL when DATABASE_URL is, else SQLite."""

    def __init__(self) -> None:
        base = os.environ.get("DATABASE_URL", "")
        self.tmpdir = tempfile.mkdtemp(prefix="tidings-db-")
        self.pg_admin: str | None = None
        if base.startswith(("postgres://", "postgresql://")):
            name = f"tidings_it_{uuid.uuid4().hex[:10]}"
            parsed = urlparse(base)
            self.pg_admin = base
            self.name = name
            self.url = parsed._replace(path=f"/{name}").geturl()
            self._pg(f'CREATE DATABASE "{name}"')
        else:
            self.url = f"sqlite:///{self.tmpdir}/db.sqlite3"

    def _pg(self, sql: str) -> None:
        import psycopg

        assert self.pg_admin is not None
        with psycopg.connect(self.pg_admin, autocommit=True) as conn:
            conn.execute(sql)

    def drop(self) -> None:
        if self.pg_admin:
            with contextlib.suppress(Exception):
                self._pg(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
        shutil.rmtree(self.tmpdir, ignore_errors=True)


def manage(env: dict[str, str], *args: str, timeout: float = 120) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result.stdout


# A load client opens every socket from 127.0.0.1: lift the per-address limits
# (WS_MAX_CONNECTIONS_PER_ADDRESS, WS_ADDRESS_RATE_LIMIT) for benchmarks.
ONE_ADDRESS_LOAD = {
    "WS_MAX_CONNECTIONS_PER_ADDRESS": "1000000",
    "WS_ADDRESS_RATE_LIMIT": "1000000",
}


def server_env(
    database: Database, redis_url: str | None, **extra: str
) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in {"REDIS_URL", "DATABASE_URL"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DATABASE_URL=database.url,
        DEBUG="1",
        LOG_LEVEL="WARNING",
        REDIS_PREFIX=f"tidings-test-{uuid.uuid4().hex[:8]}",
    )
    if redis_url:
        env["REDIS_URL"] = redis_url
    env.update(extra)
    return env


def procfile_command(name: str, port: int | None = None) -> list[str]:
    """The Procfile's command for process `name`, run with this Python.

    `--port` is replaced with `port` when given, so the test runs exactly
    what a deployment runs, on a free port.
    """
    for line in (ROOT / "Procfile").read_text().splitlines():
        key, sep, command = line.partition(":")
        if sep and key.strip() == name:
            break
    else:
        raise KeyError(f"no process {name!r} in the Procfile")
    argv = [
        sys.executable if word == "python" else word for word in shlex.split(command)
    ]
    if port is not None:
        argv[argv.index("--port") + 1] = str(port)
    return argv


class Server:
    """A Tidings ASGI server process on 127.0.0.1.

    `server`: "uvicorn" (the default), "daphne", or "procfile:<name>" for the
    command of that Procfile process.
    """

    def __init__(
        self, env: dict[str, str], port: int | None = None, server: str = "uvicorn"
    ) -> None:
        self.env = env
        self.port = port or free_port()
        self.server = server
        self.proc: subprocess.Popen[bytes] | None = None
        self.log = tempfile.NamedTemporaryFile(
            prefix="tidings-server-", suffix=".log", delete=False
        )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def start(self) -> Server:
        if self.server == "daphne":
            argv = ["daphne", "-b", "127.0.0.1", "-p", str(self.port)]
            argv = [sys.executable, "-m", *argv, "config.asgi:application"]
        elif self.server.startswith("procfile:"):
            argv = procfile_command(self.server.partition(":")[2], port=self.port)
        else:
            argv = [sys.executable, "-m", "config.serve", "--host", "127.0.0.1"]
            argv += ["--port", str(self.port)]
        self.proc = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for(self.healthy, 30, f"server on port {self.port} ({self.log.name})", 0.1)
        return self

    def healthy(self) -> bool:
        import httpx

        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(
                f"server exited: {Path(self.log.name).read_text()[-3000:]}"
            )
        try:
            return httpx.get(self.base + "/healthz", timeout=1).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(5)
        self.proc = None

    def output(self) -> str:
        return Path(self.log.name).read_text()


def login(base: str, username: str) -> str:
    """An access token of a demo user (their password is their name)."""
    import httpx

    response = httpx.post(
        f"{base}/api/auth/token/",
        json={"username": username, "password": username},
        timeout=10,
    )
    response.raise_for_status()
    return response.json()["access"]


@contextlib.contextmanager
def servers(env: dict[str, str], count: int = 1) -> Iterator[list[Server]]:
    started = [Server(env).start() for _ in range(count)]
    try:
        yield started
    finally:
        for server in started:
            server.stop()
