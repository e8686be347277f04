"""A web worker loads what search needs before serving (matchmaking.warmup, config/gunicorn.conf.py)."""

import subprocess
import sys
from pathlib import Path

import pytest

from matchmaking import encoder as encoder_module
from matchmaking.warmup import warm_up

ROOT = Path(__file__).resolve().parents[2]


def test_warm_up_without_an_encoder_loads_the_tokeniser_and_says_why_not_the_encoder(settings):
    settings.TECHDOCK_ENCODER = "st:/nonexistent/techdock-warm-up-encoder"

    done = warm_up()

    assert done["tokeniser"] == "loaded"
    assert done["encoder"].startswith("unavailable: ")
    assert not any(key.startswith("index:") for key in done)


@pytest.mark.model
def test_warm_up_loads_the_default_encoder_and_reports_the_indexes(settings, tmp_path):
    settings.VAR_DIR = str(tmp_path)  # no index files there yet

    done = warm_up()

    assert done["encoder"] == encoder_module.get_encoder().key
    assert done["index:requirement"] == done["index:achievement"] == "none yet"


def test_gunicorn_accepts_the_deployed_configuration():
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "--check-config", "-c", "config/gunicorn.conf.py",
         "config.wsgi:application"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
