"""The README's "Coming from Zendesk / django-helpdesk" section gives commands to copy: each one
names a real management command and only options that command takes, as written (placeholders
such as ``<API token>`` stand for one value). The importers themselves are proven in
test_zendesk.py and test_django_helpdesk.py; this keeps the commands people copy in step with them."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

from django.core.management import get_commands, load_command_class

README = Path(__file__).resolve().parents[3] / "README.md"


def _section() -> str:
    text = README.read_text()
    start = text.index("## Coming from Zendesk / django-helpdesk")
    return text[start : text.index("\n## ", start + 1)]


def _commands(section: str) -> list[list[str]]:
    """Each ``manage.py …`` command of the section's shell blocks, continuations joined, comments
    dropped, ``# or: …`` alternatives taken as the option they show in place of the one above."""
    found: list[list[str]] = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        joined = block.replace("\\\n", " ")
        for line in joined.splitlines():
            line = re.sub(r"<[^>]+>", "PLACEHOLDER", line)
            if line.lstrip().startswith("# or:") and found:
                option = shlex.split(line.split("# or:", 1)[1])
                previous = found[-1]
                at = previous.index(option[0])
                found.append(previous[:at] + option + previous[at + len(option) :])
                continue
            words = shlex.split(line, comments=True)
            if "manage.py" in " ".join(words[:2]):
                found.append(words[words.index(next(w for w in words if w.endswith("manage.py"))) + 1 :])
    return found


def test_the_sections_commands_parse_as_written():
    commands = _commands(_section())
    names = [c[0] for c in commands]
    assert names.count("import_zendesk") >= 1 and names.count("import_django_helpdesk") >= 2, names
    known = get_commands()
    for name, *args in commands:
        assert name in known, name
        parser = load_command_class(known[name], name).create_parser("manage.py", name)
        parser.allow_abbrev = False  # as written: "--media" is not "--media-root"
        parsed = vars(parser.parse_args(args))  # an unknown or missing option exits: the test fails
        for option in ("url", "email", "token", "database"):
            if f"--{option}" in args:
                assert parsed[option] == args[args.index(f"--{option}") + 1]
