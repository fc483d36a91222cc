"""The structure the README's "Architecture" section draws, held by tests:

- roles are read to decide access only in the permission layer (``accounts/permissions.py`` and
  ``tickets/permissions/``), never in templates;
- dependencies point one way: tickets → accounts → helpdesk plumbing.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APPS = ("accounts", "tickets", "helpdesk")
ROLE_ATTRIBUTES = {"is_agent", "is_admin", "is_customer", "is_superuser", "is_staff"}
#: Where roles may be read: the permission layer, and the model that defines the role properties.
PERMISSION_LAYER = ("accounts/permissions.py", "accounts/models.py", "tickets/permissions/")


def _python_files() -> list[Path]:
    files = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/tests/" in relative or "/migrations/" in relative:
                continue
            files.append(path)
    return files


def role_reads(source: str) -> list[tuple[int, str]]:
    """Where ``source`` reads a role to decide something: a load of ``.is_agent``/``.is_admin``/
    ``.is_customer``/``.is_superuser``/``.is_staff``, or ``.role`` in a comparison or membership test.
    Assigning those attributes (``user.is_staff = ...``) and copying a role into a row are not reads
    for a decision."""
    found = []
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr in ROLE_ATTRIBUTES and isinstance(node.ctx, ast.Load):
            found.append((node.lineno, f".{node.attr}"))
        elif isinstance(node, ast.Compare):
            for side in (node.left, *node.comparators):
                if isinstance(side, ast.Attribute) and side.attr == "role":
                    found.append((node.lineno, ".role compared"))
    return found


def test_the_guard_finds_role_reads():
    """The guard itself can fail: each way of reading a role is caught, writes are not."""
    source = (
        "if user.is_agent: pass\n"
        "ok = request.user.is_admin\n"
        "if actor.role == Role.ADMIN: pass\n"
        "if user.role in STAFF: pass\n"
        "user.is_staff = True\n"
        "Message(author_role=actor.role)\n"
    )
    assert [line for line, _ in role_reads(source)] == [1, 2, 3, 4]


def test_roles_decide_access_only_in_the_permission_layer():
    offenders = []
    for path in _python_files():
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(PERMISSION_LAYER):
            continue
        offenders += [f"{relative}:{line} reads {what}" for line, what in role_reads(path.read_text())]
    assert offenders == [], "ask accounts.permissions / tickets.permissions instead:\n" + "\n".join(offenders)


TEMPLATE_ROLE_READ = re.compile(r"\.(is_agent|is_admin|is_customer|is_superuser|is_staff)\b|\.role\s*==")


def test_templates_ask_the_permission_layer_not_roles():
    """Templates show what the view or the ``accounts.permissions.layout`` context says (e.g.
    ``works_tickets``, ``administers``, ``may_force_claim``), never a role of their own reading."""
    offenders = []
    for path in sorted((ROOT / "templates").rglob("*.html")) + sorted((ROOT / "templates").rglob("*.txt")):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            if TEMPLATE_ROLE_READ.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert offenders == []


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


#: The layers, lowest first. A module may import its own layer and the ones below.
LAYERS = ["helpdesk", "accounts", "tickets"]
#: Wiring that sits on top of everything by nature: the URL conf and the ASGI/WSGI/Celery entry points.
WIRING = {"helpdesk/urls.py", "helpdesk/asgi.py", "helpdesk/wsgi.py", "helpdesk/celery.py"}


@pytest.mark.parametrize("app", LAYERS)
def test_dependencies_point_one_way(app):
    below = set(LAYERS[: LAYERS.index(app) + 1])
    offenders = []
    for path in _python_files():
        relative = path.relative_to(ROOT).as_posix()
        if not relative.startswith(f"{app}/") or relative in WIRING:
            continue
        for name in _imports(path):
            top = name.split(".")[0]
            if top in LAYERS and top not in below:
                offenders.append(f"{relative} imports {name}")
    assert offenders == [], f"{app} may import only {sorted(below)}:\n" + "\n".join(offenders)
