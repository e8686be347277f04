"""Every user-facing string has a 简体中文 translation, and the compiled catalogue is current."""

import shutil
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

from tests.conftest import services_required

ROOT = Path(__file__).resolve().parents[1]
PO = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")
SOURCE_DIRS = ["accounts", "catalog", "common", "config", "portal", "matchmaking", "events", "templates"]


def test_committed_catalogue_is_complete():
    po = polib.pofile(str(PO))

    assert [e.msgid for e in po.untranslated_entries()] == []
    assert [e.msgid for e in po.fuzzy_entries()] == []


def test_compiled_catalogue_matches_the_po_file():
    po = {e.msgid: e.msgstr or e.msgstr_plural.get(0, "") for e in polib.pofile(str(PO)) if e.translated()}
    mo = {e.msgid: e.msgstr or e.msgstr_plural.get(0, "") for e in polib.mofile(str(MO))}
    mo.pop("", None)

    assert mo == po, "locale/*.mo is stale: run `make messages` and commit"


def test_every_marked_string_is_translated(tmp_path, settings, monkeypatch):
    if not shutil.which("xgettext"):
        if services_required():
            pytest.fail("gettext is not installed", pytrace=False)
        pytest.skip("gettext is not installed")
    # given a copy of the source tree and of the catalogue (makemessages writes into the
    # locale directory beside the files it scans, so it must not see the real one)
    for name in SOURCE_DIRS:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    target = tmp_path / "locale" / "zh_Hans" / "LC_MESSAGES"
    target.mkdir(parents=True)
    shutil.copy(PO, target / "django.po")
    settings.LOCALE_PATHS = [tmp_path / "locale"]
    monkeypatch.chdir(tmp_path)
    call_command("makemessages", locale=["zh_Hans"], no_obsolete=True, verbosity=0)

    # then no string in the code or templates lacks a translation
    refreshed = polib.pofile(str(target / "django.po"))
    assert [e.msgid for e in refreshed.untranslated_entries()] == []
    assert [e.msgid for e in refreshed.fuzzy_entries()] == []
