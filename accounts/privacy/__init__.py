"""Data protection for one person (README, "Data protection"): export everything the desk holds
about them as one zip, and erase them. The ticket side adds its part through ``registry``."""

from accounts.privacy.registry import DELETED_NAME, Bundle, Erasure, Part, register

__all__ = ["DELETED_NAME", "Bundle", "Erasure", "Part", "register"]
