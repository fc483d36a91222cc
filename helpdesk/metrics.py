"""Prometheus metrics at ``/metrics`` (issue 19 §3).

- Requests by view, method and status, and their latency histograms by view: django-prometheus's
  middleware (``RequestMetricsMiddleware``), keeping two of its series (it records some fifteen
  by default, about 140 µs a request on a busy test machine; these two, about 15 µs).
- SQL queries per request: a histogram fed by ``helpdesk.middleware.QueryMonitorMiddleware``.
- Per-process gauges named by ``HELPDESK_METRICS_PROCESS_GAUGES`` (the open live streams): summed
  over the live web processes.
- Read when scraped: the Celery queue's length (Redis ``LLEN``, half-second timeouts), the desk's
  own gauges named by ``HELPDESK_METRICS_DESK_GAUGES`` (the email intake backlog, SLA clocks due),
  and with read replicas (``helpdesk.db``) each one's lag: ``helpdesk_db_replica_lag_seconds``
  (time since its last replayed commit while it is behind the primary; 0 when caught up),
  ``helpdesk_db_replica_lag_bytes`` (WAL not yet replayed), ``helpdesk_db_replica_replay_paused``
  and ``helpdesk_db_replica_up`` (0 when it does not answer: then it has no lag sample).
  A source that fails is reported by ``helpdesk_metrics_source_up 0`` instead of failing the scrape.

Several worker processes (gunicorn ``--workers 2`` in ``make run``): ``helpdesk.gunicorn`` sets
``PROMETHEUS_MULTIPROC_DIR`` before the workers start, and prometheus_client keeps every counter in
a shared file there; any worker's ``/metrics`` then answers for all of them.

``/metrics`` is never public: only from ``HELPDESK_METRICS_ALLOWED_IPS`` (default the loopback
addresses; networks allowed, e.g. ``10.0.0.0/8``) or with ``Authorization: Bearer
<HELPDESK_METRICS_TOKEN>``; anyone else gets 403.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from django_prometheus.conf import PROMETHEUS_LATENCY_BUCKETS
from django_prometheus.middleware import Metrics, PrometheusAfterMiddleware
from django_prometheus.utils import Time, TimeSince
from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from helpdesk.db import replica_aliases

log = logging.getLogger(__name__)

SQL_QUERIES = Histogram(
    "helpdesk_sql_queries_per_request",
    "SQL statements run while serving one request.",
    buckets=(0, 1, 2, 3, 5, 8, 13, 20, 30, 50, 100, 200, 500),
)


class RequestMetrics(Metrics):
    """django-prometheus's request metrics, the ones worth their cost: responses by status, view
    and method; latency by view and method; exceptions by type and by view."""

    _instance = None  # not the parent's: get_instance() makes one of this class

    def register(self) -> None:
        self.responses_by_status_view_method = Counter(
            "django_http_responses_total_by_status_view_method",
            "Count of responses by status, view, method.",
            ["status", "view", "method"],
        )
        self.requests_latency_by_view_method = Histogram(
            "django_http_requests_latency_seconds_by_view_method",
            "Histogram of request processing time labelled by view.",
            ["view", "method"],
            buckets=PROMETHEUS_LATENCY_BUCKETS,
        )
        self.requests_unknown_latency = Counter(
            "django_http_requests_unknown_latency_total", "Count of requests for which the latency was unknown."
        )
        self.exceptions_by_type = Counter(
            "django_http_exceptions_total_by_type", "Count of exceptions by object type.", ["type"]
        )
        self.exceptions_by_view = Counter(
            "django_http_exceptions_total_by_view", "Count of exceptions by view.", ["view"]
        )


class RequestMetricsMiddleware(PrometheusAfterMiddleware):
    """django-prometheus's "after" middleware recording only ``RequestMetrics`` (its exception
    handling is the package's own)."""

    metrics_cls = RequestMetrics

    def process_request(self, request: HttpRequest) -> None:
        request.prometheus_after_middleware_event = Time()  # type: ignore[attr-defined]

    def process_view(self, request: HttpRequest, view_func: Any, *view_args: Any, **view_kwargs: Any) -> None:
        return None

    def process_template_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        return response

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        method, view = self._method(request), self._get_view_name(request)
        self.metrics.responses_by_status_view_method.labels(str(response.status_code), view, method).inc()
        started = getattr(request, "prometheus_after_middleware_event", None)
        if started is None:
            self.metrics.requests_unknown_latency.inc()
        else:
            self.metrics.requests_latency_by_view_method.labels(view, method).observe(TimeSince(started))
        return response


#: How often each web process refreshes its per-process gauges (multi-process mode only; a single
#: process reads them when scraped).
SAMPLE_SECONDS = 5.0
#: The Celery broker's own queue keys in Redis: kombu keeps one list per priority step.
_KOMBU_PRIORITY_STEPS = (0, 3, 6, 9)
_KOMBU_SEPARATOR = "\x06\x16"

_process_gauges: dict[str, tuple[Gauge, Callable[[], float]]] = {}
_lock = threading.Lock()
_sampler: threading.Thread | None = None


def multiprocess_mode() -> bool:
    return bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))


def process_gauges() -> dict[str, tuple[Gauge, Callable[[], float]]]:
    """The per-process gauges of ``HELPDESK_METRICS_PROCESS_GAUGES`` (name → (help, dotted path of a
    function of no arguments)), created once."""
    with _lock:
        if not _process_gauges:
            for name, (documentation, path) in settings.HELPDESK_METRICS_PROCESS_GAUGES.items():
                gauge = Gauge(name, documentation, multiprocess_mode="livesum")
                _process_gauges[name] = (gauge, import_string(path))
    return _process_gauges


def sample_process_gauges() -> None:
    for name, (gauge, read) in process_gauges().items():
        try:
            gauge.set(read())
        except Exception:
            log.exception("could not read the gauge %s", name)


def start_sampler() -> None:
    """Refresh this process's gauges every ``SAMPLE_SECONDS`` (multi-process mode, where the scrape
    may land on another worker and reads what each one last wrote)."""
    global _sampler
    with _lock:
        if _sampler is not None:
            return
        _sampler = threading.Thread(target=_sample_forever, name="helpdesk-metrics-sampler", daemon=True)
    _sampler.start()


def _sample_forever() -> None:
    while True:
        sample_process_gauges()
        time.sleep(SAMPLE_SECONDS)


# --- read when scraped ------------------------------------------------------------------------


class ScrapeCollector:
    """Gauges that describe the whole desk, not one process: read once per scrape."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "helpdesk_metrics_source_up", "Whether a source of scrape-time metrics answered.", labels=["source"]
        )
        sources: list[tuple[str, Callable[[], Iterable[tuple[str, str, dict[str, str], float]]]]] = []
        if not settings.CELERY_TASK_ALWAYS_EAGER and _redis_broker_url():
            sources.append(("celery", _celery_queue_lengths))
        if settings.HELPDESK_METRICS_DESK_GAUGES:
            sources.append(("desk", import_string(settings.HELPDESK_METRICS_DESK_GAUGES)))
        if replica_aliases():
            sources.append(("replicas", _replica_gauges))
        families: dict[str, GaugeMetricFamily] = {}
        for source, read in sources:
            try:
                samples = list(read())
            except Exception:
                log.warning("metrics source %s failed", source, exc_info=True)
                up.add_metric([source], 0)
                continue
            up.add_metric([source], 1)
            for name, documentation, labels, value in samples:
                family = families.get(name)
                if family is None:
                    family = families[name] = GaugeMetricFamily(name, documentation, labels=list(labels))
                family.add_metric(list(labels.values()), value)
        yield from families.values()
        yield up


def _redis_broker_url() -> str | None:
    url = settings.CELERY_BROKER_URL or ""
    return url if urlsplit(url).scheme in ("redis", "rediss") else None


def _celery_queue_lengths() -> Iterator[tuple[str, str, dict[str, str], float]]:
    import redis

    client = redis.Redis.from_url(_redis_broker_url() or "", socket_timeout=0.5, socket_connect_timeout=0.5)
    try:
        queue = settings.CELERY_TASK_DEFAULT_QUEUE
        keys = [queue if step == 0 else f"{queue}{_KOMBU_SEPARATOR}{step}" for step in _KOMBU_PRIORITY_STEPS]
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.llen(key)
            lengths = pipe.execute()
    finally:
        client.close()
    yield ("helpdesk_celery_queue_length", "Jobs waiting in the Celery queue.", {"queue": queue}, sum(lengths))


def _replica_gauges() -> Iterator[tuple[str, str, dict[str, str], float]]:
    from helpdesk.db import replicas

    primary_lsn = replicas.primary_wal_position()
    for alias in replica_aliases():
        labels = {"database": alias}
        try:
            found = replicas.state(alias, primary_lsn)
        except Exception:  # noqa: BLE001 - a replica that is down is a sample, not a failed scrape
            log.warning("replica %s did not answer the metrics probe", alias, exc_info=True)
            yield ("helpdesk_db_replica_up", "Whether the read replica answered.", labels, 0)
            continue
        yield ("helpdesk_db_replica_up", "Whether the read replica answered.", labels, 1)
        yield (
            "helpdesk_db_replica_lag_seconds",
            "Seconds since the replica's last replayed commit while it is behind the primary (0: caught up).",
            labels,
            found.lag_seconds,
        )
        yield (
            "helpdesk_db_replica_lag_bytes",
            "Bytes of WAL the replica has not replayed yet.",
            labels,
            float(found.lag_bytes),
        )
        yield (
            "helpdesk_db_replica_replay_paused",
            "Whether replay is paused on the replica.",
            labels,
            float(found.replay_paused),
        )


_scrape_collector = ScrapeCollector()


def exposition() -> bytes:
    """Everything, in Prometheus's text format."""
    if multiprocess_mode():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        sample_process_gauges()  # this process's share is fresh; the others' are at most 5 s old
    else:
        registry = REGISTRY
        sample_process_gauges()
    scraped = CollectorRegistry(auto_describe=False)
    scraped.register(_scrape_collector)
    return generate_latest(registry) + generate_latest(scraped)


# --- the endpoint -----------------------------------------------------------------------------


def allowed(request: HttpRequest) -> bool:
    token = settings.HELPDESK_METRICS_TOKEN
    if token:
        given = request.headers.get("Authorization", "")
        if given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode()):
            return True
    try:
        address = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
    except ValueError:
        return False
    return any(address in network for network in allowed_networks())


def allowed_networks() -> list[Any]:
    return [ipaddress.ip_network(entry, strict=False) for entry in settings.HELPDESK_METRICS_ALLOWED_IPS]


@login_not_required
@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponseForbidden(
            "Metrics are served only to HELPDESK_METRICS_ALLOWED_IPS or with the metrics token.\n",
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(exposition(), content_type=CONTENT_TYPE_LATEST)
