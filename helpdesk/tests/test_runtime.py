"""The web entry points settle the garbage collector once the app is loaded (``helpdesk.runtime``)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from helpdesk.runtime import YOUNG_THRESHOLD


@pytest.mark.parametrize("entry_point", ["helpdesk.asgi", "helpdesk.wsgi"])
def test_the_loaded_app_is_frozen_and_collections_are_rarer(entry_point):
    probe = f"import gc, json, {entry_point}; print(json.dumps([gc.get_freeze_count(), gc.get_threshold()]))"
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test"}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, timeout=120, check=True
    )
    frozen, threshold = json.loads(done.stdout.strip().splitlines()[-1])
    assert frozen > 50_000  # Django, the apps, the URL conf and the base template
    assert threshold[0] == YOUNG_THRESHOLD


def test_cycles_made_while_serving_are_still_collected():
    probe = (
        "import gc, helpdesk.runtime as r; r.settle()\n"
        "class Node: pass\n"
        "for _ in range(50_000):\n"
        "    a, b = Node(), Node(); a.other, b.other = b, a\n"
        "print(len([o for o in gc.get_objects() if type(o).__name__ == 'Node']))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    # 100,000 unreachable nodes were made; the collector, not the end of the process, freed them.
    assert int(done.stdout) < 2 * YOUNG_THRESHOLD
