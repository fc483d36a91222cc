"""Production's static storage (helpdesk.static_storage): the addresses of whitenoise's manifest
storage, each worked out once per process."""

from __future__ import annotations

import json

import pytest
from whitenoise.storage import CompressedManifestStaticFilesStorage

from helpdesk.static_storage import StaticStorage

PATHS = {"css/app.css": "css/app.0123abcd.css", "img/a b ü.png": "img/a b ü.89ef4567.png"}


@pytest.fixture
def folder(tmp_path):
    """A collected static folder: its manifest, as ``collectstatic`` writes it."""
    (tmp_path / "staticfiles.json").write_text(json.dumps({"paths": PATHS, "version": "1.1", "hash": "0123456789ab"}))
    return tmp_path


def test_addresses_are_whitenoises_and_worked_out_once(folder, settings):
    settings.DEBUG = False
    asked = []

    class Counted(StaticStorage):
        def stored_name(self, name):
            asked.append(name)
            return super().stored_name(name)

    ours = Counted(location=str(folder), base_url="/static/")
    theirs = CompressedManifestStaticFilesStorage(location=str(folder), base_url="/static/")
    for _ in range(3):
        for name in PATHS:
            assert ours.url(name) == theirs.url(name)
    assert ours.url("css/app.css") == "/static/css/app.0123abcd.css"
    assert ours.url("img/a b ü.png") == "/static/img/a b ü.89ef4567.png"
    assert sorted(asked) == sorted(PATHS)  # once each, not three times
    assert ours.url("css/app.css", force=True) == theirs.url("css/app.css", force=True)
    for _ in range(2):  # a file missing from the manifest fails every time, as before
        with pytest.raises(ValueError, match="Missing staticfiles manifest entry"):
            ours.url("css/missing.css")
