"""CPU seconds used by each group of processes (web, worker, PostgreSQL, Redis, Locust, other)
between two snapshots: ``cpu.py snap FILE`` then ``cpu.py diff FILE`` (used by run_load.sh)."""

import json
import os
import sys

TICKS = os.sysconf("SC_CLK_TCK")
GROUPS = (("gunicorn", "web (gunicorn)"), ("celery", "worker (celery)"), ("postgres", "PostgreSQL"),
          ("redis", "Redis"), ("locust", "Locust"))


def snapshot() -> dict[str, float]:
    """{pid: cpu seconds} of every process, children that were waited for included."""
    found = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            with open(f"/proc/{pid}/cmdline", "rb") as fh:
                cmd = fh.read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        found[pid] = {"cpu": (int(fields[11]) + int(fields[12])) / TICKS, "cmd": cmd}
    return found


def group(cmd: str) -> str:
    return next((label for needle, label in GROUPS if needle in cmd), "other")


def main() -> None:
    action, path = sys.argv[1], sys.argv[2]
    if action == "snap":
        json.dump(snapshot(), open(path, "w"))
        return
    before, after = json.load(open(path)), snapshot()
    totals: dict[str, float] = {}
    for pid, proc in after.items():
        used = proc["cpu"] - before.get(pid, {"cpu": 0.0})["cpu"]
        totals[group(proc["cmd"])] = totals.get(group(proc["cmd"]), 0.0) + used
    ranked = sorted(totals.items(), key=lambda item: -item[1])
    print("   CPU seconds during the measured run: "
          + ", ".join(f"{name} {seconds:.1f}" for name, seconds in ranked if seconds >= 0.1))


if __name__ == "__main__":
    main()
