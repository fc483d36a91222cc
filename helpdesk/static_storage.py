"""Static files as production serves them: whitenoise's compressed, manifest-named files, with
each file's address worked out once per process.

A page names a dozen static files (``{% static %}``, ``static()`` in Jinja2 templates), and each
name went through the manifest lookup and URL quoting again on every page (1 % of the queue
page's CPU). The manifest is read once when the process starts, so an address cannot change
until the next start: keeping it changes nothing. ``force`` (the hashed name even in DEBUG) is
answered as before, unkept.
"""

from __future__ import annotations

from whitenoise.storage import CompressedManifestStaticFilesStorage

#: More names than any desk ships; past it addresses are worked out each time, as before.
_KEPT_LIMIT = 10_000


class StaticStorage(CompressedManifestStaticFilesStorage):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._addresses: dict[str, str] = {}

    def url(self, name: str | None, force: bool = False) -> str:
        if force or name is None:
            return super().url(name, force)
        address = self._addresses.get(name)
        if address is None:
            address = super().url(name)
            if len(self._addresses) < _KEPT_LIMIT:
                self._addresses[name] = address
        return address
