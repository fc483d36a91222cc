"""The API's request parsers: DRF's, refusing what no database can store (``helpdesk.text``).

A NUL byte or a lone surrogate anywhere in a JSON body (a string or a key, at any depth) or in a
multipart field is a 400 ``{"detail": "..."}``, as is JSON nested too deeply for Python's parser
(DRF's own parser lets that ``RecursionError`` through as a 500).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from helpdesk.text import unstorable


def _refuse_unstorable(data: Any) -> Any:
    problem = unstorable(data)
    if problem is not None:
        raise ParseError(problem)
    return data


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(_("JSON parse error - nested too deeply.")) from None
        return _refuse_unstorable(data)


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        result = super().parse(stream, media_type, parser_context)
        _refuse_unstorable(dict(result.data.lists()))
        return result
