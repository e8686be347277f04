"""Fixtures of the catalog tests."""

import pytest


@pytest.fixture
def bureau(world, settings, tmp_path):
    """Bureau staff reading English messages; uploads kept in the test's own directory."""
    settings.TECHDOCK_IMPORT_DIR = str(tmp_path / "imports")
    world.bureau.preferred_language = "en"
    world.bureau.save(update_fields=["preferred_language"])
    return world.bureau
