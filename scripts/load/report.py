"""Render a locustfile summary.json as a Markdown table (used by run_load.sh)."""

import json
import sys

TARGET_MS = 300


def main(path: str, title: str) -> None:
    data = json.load(open(path, encoding="utf-8"))
    print(f"### {title} ({data['elapsed_s']} s)\n")
    print("| request | requests | failures | p50 ms | p95 ms | p99 ms | max ms | RPS |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name, r in sorted(data["endpoints"].items()):
        print(f"| {name} | {r['requests']} | {r['failures']} | {r['p50']} | {r['p95']} | {r['p99']} | "
              f"{r['max']} | {r['rps']} |")
    for name in ("page", "api", "post", "pages+api reads", "reads excl. search", "reads after ramp-up", "all"):
        r = data["aggregate"].get(name)
        if r:
            print(f"| **{name} (aggregate)** | {r['requests']} | {r['failures']} | {r['p50']} | {r['p95']} | "
                  f"{r['p99']} | | {r['rps']} |")
    if data.get("timeline"):
        print(f"\nReads' p95 per 10 s (all users started at {data.get('spawned_s')} s, all signed in at "
              f"{data.get('ramp_up_s')} s): "
              + ", ".join(f"{w['from_s']}-{w['from_s'] + 10} s: {w['p95']} ms ({w['requests']})"
                          for w in data["timeline"]))
    if data.get("notes"):
        print("\nExpected, not failures: " + ", ".join(f"{k}: {v}" for k, v in data["notes"].items()))
    reads = data["aggregate"]["pages+api reads"]
    met = reads["p95"] is not None and reads["p95"] <= TARGET_MS and data["aggregate"]["all"]["failures"] == 0
    print(f"\nTarget (pages+API reads p95 ≤ {TARGET_MS} ms, 0 errors): {'MET' if met else 'NOT MET'} "
          f"(p95 {reads['p95']} ms, {data['aggregate']['all']['failures']} failures)")
    steady = data["aggregate"].get("reads after ramp-up")
    if steady and steady["p95"] is not None:
        met = steady["p95"] <= TARGET_MS and data["aggregate"]["all"]["failures"] == 0
        print(f"After ramp-up (the same target, {steady['requests']} reads started after the last sign-in, at "
              f"{data.get('ramp_up_s')} s): {'MET' if met else 'NOT MET'} (p95 {steady['p95']} ms)")
    print()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "")
