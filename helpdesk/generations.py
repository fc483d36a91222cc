"""Counts of changes to some settings, for what a process keeps that those settings decide (the
kept template texts and addresses of ``helpdesk.templatetags``): a key that holds the count is
not found again once one of the settings changes (tests override them; a running server never
does)."""

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
