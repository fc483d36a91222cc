#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "helpdesk.settings")
    if not os.environ.get("DJANGO_SECRET_KEY") and os.environ["DJANGO_SETTINGS_MODULE"] == "helpdesk.settings":
        from pathlib import Path

        from helpdesk import env

        env.ensure_local_secret_key(os.environ.get("HELPDESK_VAR_DIR") or Path(__file__).resolve().parent / "var")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
