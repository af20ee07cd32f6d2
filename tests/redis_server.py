"""A redis-server of one test: its own port and directory, nothing saved, stopped after.

The shared Redis on 6379 is never stopped, flushed or reconfigured by a test; a
test that needs Redis down, frozen or configured otherwise starts its own here.
"""

import contextlib
import shutil
import signal
import socket
import subprocess
import time

import pytest


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of this test only: its own port and directory, nothing saved."""

    def __init__(self, directory):
        self.port = _free_port()
        self.directory = directory
        self.process = None

    def url(self, database: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{database}"

    def client(self, database: int):
        import redis

        return redis.Redis.from_url(self.url(database))

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                "--dir", str(self.directory), "--save", "", "--appendonly", "no",
            ],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        import redis

        deadline = time.monotonic() + 10
        while True:
            try:
                redis.Redis(port=self.port, socket_timeout=1).ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # if frozen
            self.process.terminate()
            self.process.wait(10)

    def freeze(self) -> None:
        """Hung, not gone: connections are accepted, nothing is ever answered."""
        self.process.send_signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.process.send_signal(signal.SIGCONT)

    @contextlib.contextmanager
    def down(self, how: str):
        """Redis stopped (or frozen) inside the block, running again after it."""
        if how == "stopped":
            self.stop()
        else:
            self.freeze()
        try:
            yield
        finally:
            if how == "stopped":
                self.start()
            else:
                self.thaw()


@pytest.fixture
def own_redis(tmp_path):
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (make test installs it with Redis)")
    server = RedisServer(tmp_path / "redis")
    server.directory.mkdir()
    server.start()
    yield server
    server.stop()


