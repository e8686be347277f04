"""Supply-chain gate: pip-audit over the installed environment — the virtualenv whose Python runs
this script, i.e. every pinned runtime and dev requirement with their transitive dependencies.

pip-audit looks each package up in a vulnerability service on the internet (PyPI's JSON API).
Where that service cannot be reached, pip-audit itself still exits 0 ("No known
vulnerabilities found") with every package skipped, so its exit code alone cannot be trusted.
This script reads its JSON report and decides:

- a known vulnerability (not justified in IGNORED below)          -> exit 1, listed;
- no package could be looked up at all (service unreachable, or
  pip-audit failed with a network error)                            -> a loud warning, exit 0:
  the audit is *skipped*, not passed (exit 1 instead with --require-service or
  TECHDOCK_PIP_AUDIT_REQUIRED=1, for a CI that has the network);
- any other failure of pip-audit                                    -> exit 1;
- otherwise                                                         -> exit 0, with the packages it
  could not look up (a local build such as torch's "+cpu") listed.

Usage: .venv/bin/python scripts/audit_dependencies.py [--require-service]
"""

import json
import os
import re
import subprocess  # nosec B404
import sys
import tempfile
from pathlib import Path

# Vulnerabilities accepted on purpose: {"GHSA-… or PYSEC-…": "why it does not apply to TechDock"}.
IGNORED: dict[str, str] = {}

NETWORK_ERROR = re.compile(
    r"ConnectionError|NameResolutionError|Max retries exceeded|ConnectTimeout|ReadTimeout|"
    r"Temporary failure in name resolution|Network is unreachable|Connection refused|SSLError",
)
NOT_FOUND = "Dependency not found on PyPI"


def run_pip_audit(report: Path) -> subprocess.CompletedProcess:
    # A fixed argv and no shell (bandit's B404/B603 are acknowledged by the `nosec` marks).
    command = [sys.executable, "-m", "pip_audit", "--progress-spinner", "off", "--format", "json",
               "--output", str(report)]
    for vuln_id in IGNORED:
        command += ["--ignore-vuln", vuln_id]
    return subprocess.run(command, capture_output=True, text=True, timeout=900)  # noqa: S603  # nosec B603


def main(argv: list[str]) -> int:
    required = "--require-service" in argv or os.environ.get("TECHDOCK_PIP_AUDIT_REQUIRED") == "1"

    def unreachable(detail: str) -> int:
        print("WARNING: pip-audit SKIPPED, not passed: the vulnerability service could not be reached "
              f"from this machine ({detail}).", file=sys.stderr)
        if required:
            print("The audit is required here (--require-service / TECHDOCK_PIP_AUDIT_REQUIRED=1): failing.",
                  file=sys.stderr)
            return 1
        print("Run `make audit` where the internet is reachable to audit the pinned requirements.", file=sys.stderr)
        return 0

    with tempfile.TemporaryDirectory() as tmp:
        report_path = Path(tmp) / "pip-audit.json"
        try:
            result = run_pip_audit(report_path)
        except subprocess.TimeoutExpired:
            return unreachable("pip-audit timed out")
        try:
            report = json.loads(report_path.read_text())
        except (OSError, ValueError):
            report = None

    if report is None:
        output = result.stdout + result.stderr
        if result.returncode != 0 and NETWORK_ERROR.search(output):
            return unreachable(NETWORK_ERROR.search(output).group(0))
        print(output, file=sys.stderr)
        print(f"pip-audit failed (exit {result.returncode}) without a report.", file=sys.stderr)
        return 1

    dependencies = report.get("dependencies", [])
    found = [(dep["name"], dep.get("version", "?"), vuln["id"], ", ".join(vuln.get("fix_versions", [])) or "none")
             for dep in dependencies for vuln in dep.get("vulns", []) if vuln["id"] not in IGNORED]
    audited = [dep for dep in dependencies if "skip_reason" not in dep]
    skipped = [dep for dep in dependencies if "skip_reason" in dep]

    if found:
        print(f"pip-audit: {len(found)} known vulnerabilities:", file=sys.stderr)
        for name, version, vuln_id, fixes in found:
            print(f"  {name} {version}: {vuln_id} (fixed in: {fixes})", file=sys.stderr)
        print("Upgrade the pin, or justify the exception in IGNORED in scripts/audit_dependencies.py.",
              file=sys.stderr)
        return 1
    if dependencies and not audited:
        reasons = {dep["skip_reason"].split(":")[0] for dep in skipped}
        return unreachable(f"every one of {len(skipped)} packages was skipped: {'; '.join(sorted(reasons))}")
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        print(f"pip-audit failed (exit {result.returncode}).", file=sys.stderr)
        return 1

    print(f"pip-audit: {len(audited)} packages audited, no known vulnerabilities"
          + (f" ({len(IGNORED)} justified exceptions)." if IGNORED else "."))
    for dep in skipped:
        print(f"  not audited: {dep['name']}: {dep['skip_reason']}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
