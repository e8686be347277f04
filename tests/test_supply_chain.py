"""The supply-chain gate (scripts/audit_dependencies.py) tells "vulnerabilities found" (fail) from
"vulnerability service unreachable" (skipped with a warning), which pip-audit's exit code alone
does not: offline, pip-audit exits 0 having audited nothing."""

import importlib.util
import json
import subprocess
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "audit_dependencies.py"


@pytest.fixture
def gate():
    spec = importlib.util.spec_from_file_location("audit_dependencies", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_pip_audit(monkeypatch, gate, *, report: dict | None, returncode: int = 0, output: str = ""):
    def run(path: Path):
        if report is not None:
            path.write_text(json.dumps(report))
        return subprocess.CompletedProcess(args=[], returncode=returncode, stdout="", stderr=output)

    monkeypatch.setattr(gate, "run_pip_audit", run)


AUDITED = {"name": "django", "version": "5.2.19", "vulns": []}
LOCAL_BUILD = {"name": "torch",
               "skip_reason": "Dependency not found on PyPI and could not be audited: torch (2.13.0+cpu)"}


def test_a_clean_audit_passes(monkeypatch, gate, capsys):
    fake_pip_audit(monkeypatch, gate, report={"dependencies": [AUDITED, LOCAL_BUILD], "fixes": []})

    assert gate.main([]) == 0
    assert "1 packages audited" in capsys.readouterr().out


def test_a_vulnerability_fails(monkeypatch, gate, capsys):
    vulnerable = {"name": "jinja2", "version": "2.0", "vulns": [{"id": "PYSEC-0000-1", "fix_versions": ["3.1.6"]}]}
    fake_pip_audit(monkeypatch, gate, report={"dependencies": [AUDITED, vulnerable], "fixes": []}, returncode=1)

    assert gate.main([]) == 1
    assert "jinja2 2.0: PYSEC-0000-1 (fixed in: 3.1.6)" in capsys.readouterr().err


def test_a_justified_vulnerability_is_accepted(monkeypatch, gate):
    monkeypatch.setattr(gate, "IGNORED", {"PYSEC-0000-1": "not reachable: we never render untrusted templates"})
    vulnerable = {"name": "jinja2", "version": "2.0", "vulns": [{"id": "PYSEC-0000-1", "fix_versions": []}]}
    fake_pip_audit(monkeypatch, gate, report={"dependencies": [AUDITED, vulnerable], "fixes": []})

    assert gate.main([]) == 0


def test_every_package_skipped_means_unreachable_not_clean(monkeypatch, gate, capsys):
    # what pip-audit does offline: exit 0, every lookup "not found"
    skipped = [{"name": name, "skip_reason": f"Dependency not found on PyPI and could not be audited: {name} (1.0)"}
               for name in ("django", "celery")]
    fake_pip_audit(monkeypatch, gate, report={"dependencies": skipped, "fixes": []})

    assert gate.main([]) == 0
    assert "SKIPPED, not passed" in capsys.readouterr().err
    assert gate.main(["--require-service"]) == 1


def test_a_network_error_is_unreachable_but_another_crash_fails(monkeypatch, gate):
    fake_pip_audit(monkeypatch, gate, report=None, returncode=1,
                   output="requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev'): "
                          "Max retries exceeded")
    assert gate.main([]) == 0

    fake_pip_audit(monkeypatch, gate, report=None, returncode=2, output="error: unrecognized arguments")
    assert gate.main([]) == 1
