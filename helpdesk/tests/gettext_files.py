"""Reading the committed gettext catalogs in tests: a small .po reader (enough for what Django's
makemessages writes) and the rules every translation keeps."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"

#: %(name)s, %(count)d, %s, %d and {name}: each must survive translation, exactly as often.
PLACEHOLDER = re.compile(r"%\(\w+\)[sdfr]|%[sdfr]|\{\w*\}")


@dataclass
class Entry:
    context: str | None = None
    msgid: str = ""
    plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)
    flags: list[str] = field(default_factory=list)
    obsolete: bool = False

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.context, self.msgid)


def read_po(path: Path) -> list[Entry]:
    """The entries of a .po file, the header (msgid "") first."""
    entries: list[Entry] = []
    entry = Entry()
    last: str | int | None = None

    def flush():
        nonlocal entry
        if entry.msgid or entry.msgstr or entry.context is not None:
            entries.append(entry)
        entry = Entry()

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw
        if line.startswith("#~ "):
            line, entry.obsolete = line[3:], True
        if not line.strip():
            flush()
            last = None
        elif line.startswith("#,"):
            entry.flags += [flag.strip() for flag in line[2:].split(",")]
        elif line.startswith("#"):
            continue
        elif match := re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?) (".*")$', line):
            keyword, index, value = match.group(1), match.group(2), ast.literal_eval(match.group(3))
            if keyword == "msgctxt":
                entry.context, last = value, "context"
            elif keyword == "msgid":
                entry.msgid, last = value, "msgid"
            elif keyword == "msgid_plural":
                entry.plural, last = value, "plural"
            else:
                number = int(index or 0)
                entry.msgstr[number], last = value, number
        elif line.startswith('"'):
            value = ast.literal_eval(line)
            if last == "context":
                entry.context = (entry.context or "") + value
            elif last == "msgid":
                entry.msgid += value
            elif last == "plural":
                entry.plural = (entry.plural or "") + value
            elif isinstance(last, int):
                entry.msgstr[last] += value
    flush()
    return entries


def placeholders(text: str) -> list[str]:
    return sorted(PLACEHOLDER.findall(text.replace("%%", "")))


def catalog_problems(entries: list[Entry]) -> list[str]:
    """Why a catalog is not complete: untranslated or fuzzy entries, placeholders changed."""
    problems = []
    header = entries[0]
    if header.msgid != "" or "fuzzy" in header.flags:
        problems.append("the header is missing or fuzzy (its Plural-Forms would be ignored)")
    # gettext picks a plural entry's form by the header's formula: a form it lacks falls back to
    # English for every count that formula sends there.
    forms = re.search(r"nplurals\s*=\s*(\d+)", header.msgstr.get(0, ""))
    nplurals = int(forms.group(1)) if forms else None
    for entry in entries[1:]:
        if entry.obsolete:
            continue
        name = f"{entry.msgid!r}" + (f" (context {entry.context!r})" if entry.context else "")
        if "fuzzy" in entry.flags:
            problems.append(f"{name} is fuzzy")
        if not entry.msgstr or not all(text.strip() for text in entry.msgstr.values()):
            problems.append(f"{name} is not translated")
            continue
        if entry.plural is not None and nplurals is not None and sorted(entry.msgstr) != list(range(nplurals)):
            problems.append(f"{name} has {len(entry.msgstr)} plural forms, the header says {nplurals}")
        for number, text in entry.msgstr.items():
            source = entry.msgid if number == 0 or entry.plural is None else entry.plural
            if placeholders(text) != placeholders(source):
                problems.append(f"{name}: placeholders {placeholders(source)} became {placeholders(text)}")
    return problems
