"""The gunicorn worker class for the ASGI application: uvicorn with the lifespan protocol off.

Django's ASGI handler does not implement lifespan events, so uvicorn's default ("auto") probes it
at every worker start and logs "ASGI 'lifespan' protocol appears unsupported". Use it as
``gunicorn helpdesk.asgi:application -k helpdesk.workers.UvicornWorker``.
"""

from __future__ import annotations

from typing import Any

from uvicorn_worker import UvicornWorker as _UvicornWorker


class UvicornWorker(_UvicornWorker):
    CONFIG_KWARGS: dict[str, Any] = {**_UvicornWorker.CONFIG_KWARGS, "lifespan": "off"}
