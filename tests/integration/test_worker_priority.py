"""Worker pool processes run at a lower CPU priority than the web (settings.TECHDOCK_WORKER_NICE)."""

import os
import time
from pathlib import Path

from django.conf import settings


def _stat(pid: int) -> tuple[int, int]:
    """(parent pid, nice) of a process, from /proc/<pid>/stat (fields after the command name)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[16])


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if _stat(int(entry))[0] == pid:
                    found.append(int(entry))
            except (FileNotFoundError, ProcessLookupError, IndexError):
                continue
    return found


def test_pool_processes_run_niced_and_the_parent_does_not(celery_worker_process):
    parent = celery_worker_process.proc.pid
    deadline = time.monotonic() + 20
    children = _children(parent)
    while not children and time.monotonic() < deadline:
        time.sleep(0.2)
        children = _children(parent)

    assert settings.TECHDOCK_WORKER_NICE == 10
    assert children, "the prefork pool has no process"
    own_nice = os.nice(0)
    assert _stat(parent)[1] == own_nice
    assert {_stat(child)[1] for child in children} == {own_nice + settings.TECHDOCK_WORKER_NICE}
