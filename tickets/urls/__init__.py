"""The pages' URL confs, one per area, mounted by ``helpdesk/urls.py``: ``portal`` (/portal/),
``agent`` (/agent/), ``attachments`` (/attachments/), ``live`` (/live/), ``notifications``
(/notifications/). The API's routes are in ``tickets.api.urls``."""
