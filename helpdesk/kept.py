"""What template nodes keep between renders (``helpdesk.templatetags.kept_i18n`` and ``kept_url``):
their output per key (``KeptOutput``), and counts of changes to the settings that decide it
(``SettingsGeneration``): a key that holds the count is not found again once one of those
settings changes (tests override them; a running server never does)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.signals import setting_changed


class SettingsGeneration:
    """``value`` goes up by one whenever one of ``settings`` changes (``setting_changed``)."""

    def __init__(self, settings: Iterable[str], *, uid: str) -> None:
        self.settings = frozenset(settings)
        self.value = 0
        # The module-level instance that holds this lives as long as the process: a weak
        # reference to its method is enough.
        setting_changed.connect(self._changed, dispatch_uid=uid)

    def _changed(self, *, setting: str, **kwargs: Any) -> None:
        if setting in self.settings:
            self.value += 1


class KeptOutput:
    """For a template node whose output depends only on ``kept_key(context)``: renders as its
    parent class does once per key, then hands out what it wrote (into ``asvar`` for a tag
    written ``… as name``)."""

    asvar: str | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: dict[tuple[Any, ...], str] = {}

    def kept_key(self, context: Any) -> tuple[Any, ...]:
        raise NotImplementedError

    def render(self, context: Any) -> str:
        key = self.kept_key(context)
        value = self._kept.get(key)
        if value is None:
            shown = super().render(context)  # type: ignore[misc]  # the node class it is mixed into
            self._kept[key] = context[self.asvar] if self.asvar else shown
            return shown
        if self.asvar:
            context[self.asvar] = value
            return ""
        return value
