"""CPU time (user + system) of groups of processes over a stretch of a benchmark.

Wall-clock latencies move with whatever else runs on the machine; the CPU a process
group spends on a fixed amount of work does not (much). CpuAccount samples
/proc/<pid>/stat (utime + stime) of every process of each group a few times a second
while a `with` block runs: a process alive at the start counts from its value then,
one born during the block from zero, one that ends during the block with its last
sample (at most one interval short). It also reads the machine's busy time from
/proc/stat, so what the groups did not spend (other users of the machine) shows too.

Groups are decided per process when it is first seen:
- a process group id (gunicorn, a Celery worker: each started in its own group);
- PostgreSQL client backends of one database (the postmaster's children whose title
  names the database);
- the other PostgreSQL server processes (postmaster, checkpointer, WAL writer: shared
  by every database on the server);
- redis-server (shared by every Redis database number);
- this process (all its threads).
"""

from __future__ import annotations

import os
import threading
import time

TICKS = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> tuple[str, int, int, int] | None:
    """(comm, ppid, pgrp, utime + stime ticks) of a process, or None if it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as file:
            text = file.read().decode("utf-8", "replace")
    except OSError:
        return None
    # comm is in parentheses and may itself hold spaces or parentheses.
    left, right = text.index("("), text.rindex(")")
    fields = text[right + 2:].split()
    # fields[0] is state (field 3); ppid 4, pgrp 5, utime 14, stime 15.
    return text[left + 1:right], int(fields[1]), int(fields[2]), int(fields[11]) + int(fields[12])


def _cmdline(pid: int) -> str:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as file:
            return file.read().replace(b"\x00", b" ").decode("utf-8", "replace").strip()
    except OSError:
        return ""


def _machine_busy_ticks() -> int:
    with open("/proc/stat") as file:
        values = [int(v) for v in file.readline().split()[1:]]
    # user nice system idle iowait irq softirq steal …: busy is all but idle and iowait.
    return sum(values) - values[3] - (values[4] if len(values) > 4 else 0)


def _postmaster_pid() -> int | None:
    """The PostgreSQL server's main process: the `postgres` started with -D <data dir>."""
    for name in os.listdir("/proc"):
        if name.isdigit():
            stat = _stat(int(name))
            if stat and stat[0] == "postgres" and " -D " in f" {_cmdline(int(name))} ":
                return int(name)
    return None


class CpuAccount:
    """`with CpuAccount(pgroups={"gunicorn": pid}, database="name") as cpu:` … then
    cpu.milliseconds: {group: CPU ms}, cpu.machine_ms: the whole machine's busy ms."""

    OTHERS_PG = "PostgreSQL server processes (shared)"
    REDIS = "Redis server (shared)"
    SELF = "this process (Stripe server, SMTP sink, senders)"

    def __init__(self, *, pgroups: dict[str, int], database: str, interval: float = 0.1):
        self.pgroups = {pgid: name for name, pgid in pgroups.items()}
        self.backends = f"PostgreSQL backends of {database}"
        self.database = database
        self.interval = interval
        self.postmaster = _postmaster_pid()
        self.group_of: dict[int, str | None] = {}
        self.first: dict[int, int] = {}
        self.last: dict[int, int] = {}
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True, name="cpu-account")
        self.groups = [*(f"{name}: {part}" for name in pgroups for part in ("main process", "its children")),
                       self.backends, self.OTHERS_PG, self.REDIS, self.SELF]
        self.milliseconds: dict[str, float] = {}
        self.machine_ms = 0.0
        self.seconds = 0.0

    def _classify(self, pid: int, comm: str, ppid: int, pgrp: int) -> str | None | bool:
        """The group of a process; None for none; False while a new backend has no title yet."""
        if pid == os.getpid():
            return self.SELF
        if pgrp in self.pgroups:
            # The leader (gunicorn's arbiter, the worker's main process) apart from its children.
            return self.pgroups[pgrp] + (": main process" if pid == pgrp else ": its children")
        if comm == "redis-server":
            return self.REDIS
        if self.postmaster and (pid == self.postmaster or ppid == self.postmaster):
            if pid == self.postmaster:
                return self.OTHERS_PG
            title = _cmdline(pid)
            if not title.startswith("postgres: "):
                return False  # forked, title not set yet: look again next time
            words = title.split()
            # "postgres: 15/main: <user> <database> <host>(<port>) <state>"
            if len(words) >= 5 and "(" in words[4] or len(words) >= 5 and words[4] == "[local]":
                return self.backends if words[3] == self.database else None
            return self.OTHERS_PG  # checkpointer, background writer, WAL writer, …
        return None

    def _sample(self, *, initial: bool = False) -> None:
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            pid = int(name)
            if pid in self.group_of and self.group_of[pid] is None:
                continue
            stat = _stat(pid)
            if stat is None:
                continue
            comm, ppid, pgrp, ticks = stat
            if pid not in self.group_of or self.group_of[pid] is False:
                group = self._classify(pid, comm, ppid, pgrp)
                self.group_of[pid] = group
                if not group:
                    continue
                self.first[pid] = ticks if initial else 0
            if self.group_of[pid]:
                self.last[pid] = ticks

    def _run(self):
        while not self.stop_event.wait(self.interval):
            self._sample()

    def __enter__(self):
        self.started = time.perf_counter()
        self.machine_start = _machine_busy_ticks()
        self.self_start = time.process_time()
        self._sample(initial=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        self.thread.join(5)
        self._sample()
        self.seconds = time.perf_counter() - self.started
        self.machine_ms = (_machine_busy_ticks() - self.machine_start) * 1000 / TICKS
        totals = dict.fromkeys(self.groups, 0.0)
        for pid, group in self.group_of.items():
            if group and pid in self.last:
                totals[group] += (self.last[pid] - self.first[pid]) * 1000 / TICKS
        # This process at full resolution rather than in ticks.
        totals[self.SELF] = (time.process_time() - self.self_start) * 1000
        self.milliseconds = {group: round(ms, 1) for group, ms in totals.items()}

    def per_order(self, orders: int) -> dict:
        accounted = sum(self.milliseconds.values())
        return {
            "seconds": round(self.seconds, 2),
            "orders": orders,
            "cpu_ms": self.milliseconds,
            "cpu_ms_per_order": {g: round(ms / orders, 1) for g, ms in self.milliseconds.items()},
            "accounted_ms_per_order": round(accounted / orders, 1),
            "machine_busy_ms": round(self.machine_ms, 1),
            "machine_busy_ms_per_order": round(self.machine_ms / orders, 1),
            "other_users_ms": round(max(0.0, self.machine_ms - accounted), 1),
        }
