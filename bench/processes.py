"""Child processes of a benchmark (gunicorn, a Celery worker) that must not outlive it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys


class Processes:
    def __init__(self):
        self.children: list[tuple[str, subprocess.Popen]] = []

    def start(self, args, *, name: str = "child", **kwargs) -> subprocess.Popen:
        # A new session and process group: Ctrl-C reaches only the benchmark, which
        # stops the whole group (gunicorn's workers, a pool's processes) itself.
        process = subprocess.Popen(args, start_new_session=True, **kwargs)
        self.children.append((name, process))
        return process

    def stop_all(self):
        while self.children:
            name, process = self.children.pop()
            # The leader first (warm shutdown: gunicorn and celery stop their own
            # children), then anything left in its group is killed.
            if process.poll() is None:
                try:
                    process.send_signal(signal.SIGTERM)
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    print(f"  {name} did not stop within 15 s: SIGKILL", file=sys.stderr, flush=True)
                except ProcessLookupError:
                    pass
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]
