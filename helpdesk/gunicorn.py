"""gunicorn settings for ``make run`` and deployments: ``gunicorn -c python:helpdesk.gunicorn ...``.

Metrics across worker processes: with more than one worker, each worker keeps its counters in
files under ``PROMETHEUS_MULTIPROC_DIR`` and ``/metrics`` (answered by any one of them) adds them
up (``helpdesk.metrics``). This sets the directory before any worker starts — a fresh one per
server start unless the variable is given (then it is emptied first, as prometheus_client requires)
— and tells prometheus_client when a worker dies, so its per-process gauges stop counting.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

_made_here = False
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="helpdesk-metrics-")
    _made_here = True
else:
    _given = Path(os.environ["PROMETHEUS_MULTIPROC_DIR"])
    _given.mkdir(parents=True, exist_ok=True)
    for _stale in _given.glob("*.db"):
        _stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    if _made_here:
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
