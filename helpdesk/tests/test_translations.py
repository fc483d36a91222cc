"""The Spanish catalog is complete and current, and no page shows a Spanish reader English words.

- every entry of locale/es/LC_MESSAGES/django.po is translated, none fuzzy, placeholders kept;
- the committed .mo says exactly what the .po says (`make messages` compiles it);
- makemessages over the sources finds no string the committed .po lacks (a new, untranslated
  string fails here; needs GNU gettext's xgettext, which CI installs);
- no page of the accessibility list (every page of the site but the Django admin and Swagger
  UI), rendered for a Spanish reader, shows English UI text.
"""

from __future__ import annotations

import csv
import gettext
import io
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from accounts import services as account_services
from helpdesk.tests.gettext_files import LOCALE, ROOT, Entry, catalog_problems, read_po
from tickets import services
from tickets.models import Automation, Status

PO = LOCALE / "es" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


# --- the catalog ----------------------------------------------------------------------------


def test_the_spanish_catalog_is_complete():
    entries = read_po(PO)
    assert len(entries) > 400, "the Spanish catalog looks truncated"
    assert catalog_problems(entries) == []


def test_the_catalog_check_can_fail():
    """The checker itself finds each kind of problem."""
    header = Entry(msgid="", msgstr={0: "Language: es\nPlural-Forms: nplurals=3; plural=n == 1 ? 0 : 2;\n"})
    entries = [
        header,
        Entry(msgid="Save", msgstr={0: ""}),
        Entry(msgid="Open", msgstr={0: "Abierto"}, flags=["fuzzy"]),
        Entry(msgid="Hello %(name)s", msgstr={0: "Hola %(nombre)s"}),
        Entry(msgid="{count} files", msgstr={0: "archivos"}),
        Entry(msgid="%(n)d file", plural="%(n)d files", msgstr={0: "%(n)d archivo", 1: "", 2: "%(n)d archivos"}),
        Entry(msgid="%(n)d page", plural="%(n)d pages", msgstr={0: "%(n)d página", 1: "%(n)d páginas"}),
        Entry(msgid="Fine %(x)s", msgstr={0: "Bien %(x)s"}),
        Entry(msgid="%(n)d row", plural="%(n)d rows", msgstr={0: "%(n)d fila", 1: "%(n)d filas", 2: "%(n)d filas"}),
        Entry(msgid="Gone", msgstr={0: ""}, obsolete=True),
    ]
    problems = catalog_problems(entries)
    assert len(problems) == 6, problems
    assert "'%(n)d page' has 2 plural forms, the header says 3" in problems
    assert catalog_problems([Entry(msgid="", flags=["fuzzy"])]) != []


def test_the_compiled_catalog_matches_the_po():
    """`make run` serves the committed .mo (no gettext needed); it must say what the .po says."""
    compiled = gettext.GNUTranslations(MO.open("rb"))._catalog
    expected: dict = {}
    for entry in read_po(PO)[1:]:
        if entry.obsolete:
            continue
        key = entry.msgid if entry.context is None else f"{entry.context}\x04{entry.msgid}"
        if entry.plural is None:
            expected[key] = entry.msgstr[0]
        else:
            for number, text in entry.msgstr.items():
                expected[(key, number)] = text
    compiled = {key: value for key, value in compiled.items() if key != ""}
    assert compiled == expected, "the .mo is out of date: run `make messages`"


@pytest.mark.parametrize("count", [0, 1, 2, 5, 21, 1_000_000])
def test_every_plural_is_spanish_at_every_count(count):
    """What a Spanish page shows for a count: Django picks the form by the catalog's Plural-Forms
    formula (three forms for Spanish); a form missing from an entry showed English (was "0
    attempts" in the webhook delivery log, "5 conditions" in the triggers list)."""
    from django.utils import translation

    english = []
    with translation.override("es"):
        for entry in read_po(PO)[1:]:
            if entry.obsolete or entry.plural is None:
                continue
            if entry.context is None:
                text = translation.ngettext(entry.msgid, entry.plural, count)
            else:
                text = translation.npgettext(entry.context, entry.msgid, entry.plural, count)
            if text in (entry.msgid, entry.plural) and text not in entry.msgstr.values():
                english.append(entry.msgid)
    assert english == [], f"English at {count} for a Spanish reader: {english}"


def _needs_xgettext() -> None:
    if shutil.which("xgettext") and shutil.which("msgmerge"):
        return
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail("needs gettext (xgettext): apt-get install gettext")
    pytest.skip("needs gettext (xgettext)")


def test_every_marked_string_is_in_the_catalog(tmp_path):
    """makemessages over a copy of the sources: a msgid it finds that the committed .po lacks is a
    string nobody translated (run `make messages` and translate it)."""
    _needs_xgettext()
    copy = tmp_path / "src"
    ignore = shutil.ignore_patterns(".venv", "var", "node_modules", "__pycache__", "*.mo", ".git")
    for name in ("accounts", "tickets", "helpdesk", "templates", "locale"):
        shutil.copytree(ROOT / name, copy / name, ignore=ignore)
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "helpdesk.settings_test", "HELPDESK_VAR_DIR": str(tmp_path / "var")}
    env.pop("DATABASE_URL", None)  # makemessages needs no database
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            "-l",
            "es",
            "--ignore=*/tests/*",
            "--add-location=file",
        ],
        cwd=copy,
        env=env,
        check=True,
        capture_output=True,
    )
    fresh = {entry.key for entry in read_po(copy / "locale/es/LC_MESSAGES/django.po")[1:] if not entry.obsolete}
    committed = {entry.key for entry in read_po(PO)[1:] if not entry.obsolete}
    missing = sorted(fresh - committed, key=str)
    assert missing == [], (
        "strings marked for translation but not in the Spanish catalog (make messages):\n"
        + "\n".join(map(str, missing))
    )


# --- no English on a Spanish page -----------------------------------------------------------

#: Words of this desk's English UI that never appear in its Spanish pages except inside data.
ENGLISH_WORDS = re.compile(
    r"\b(Status|Priority|Save|Reply|Replies|Open|Opened|Closed|Sign in|Sign out|Assign|Assignee|Unassigned|"
    r"Search|Submit|Cancel|Delete|Subject|Requester|Profile|Notifications|Pending|Solved|Send|Updated|"
    r"Change|Created|Filter|Team|Tags|Category|Your|Welcome|Queue|Statistics|Period|Password|Email)\b"
)
#: Visible words that are the same in both languages, or names.
SAME_IN_BOTH = {"Helpdesk", "English", "Español", "UTC", "API", "REST", "PDF", "CSV", "ZIP", "Markdown"}


class _VisibleText(HTMLParser):
    """Text a person sees or hears: text nodes outside script/style/datalist, and the
    attributes that screen readers, tooltips and buttons read out."""

    SKIP = {"script", "style", "datalist", "code", "kbd", "textarea"}
    SPOKEN = ("aria-label", "title", "placeholder", "alt")

    def __init__(self):
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self.skipping += 1
        attrs = dict(attrs)
        for name in self.SPOKEN:
            if attrs.get(name):
                self.parts.append(attrs[name])
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.parts.append(attrs["value"])

    def handle_endtag(self, tag):
        if tag in self.SKIP and self.skipping:
            self.skipping -= 1

    def handle_data(self, data):
        if not self.skipping and data.strip():
            self.parts.append(data)


def english_left(html: str, data: list[str], english_msgids: set[str]) -> list[str]:
    """The visible texts of ``html`` that are still English once the page's own data (subjects,
    names, bodies, addresses: ``data``) and numbers, dates and ticket numbers are taken out."""
    parser = _VisibleText()
    parser.feed(html)
    found = []
    for text in parser.parts:
        text = " ".join(text.split())
        for value in sorted(data, key=len, reverse=True):
            text = text.replace(value, " ")
        text = re.sub(r"#?\d[\d.,:/\- ]*", " ", text)
        words = " ".join(word for word in text.split() if word.strip("·—–()[]:;,.…«»“”\"'←→+?!") not in SAME_IN_BOTH)
        words = words.strip(" ·—–()[]:;,.…«»“”\"'←→+?!")
        if not words:
            continue
        if words in english_msgids or ENGLISH_WORDS.search(words):
            found.append(words)
    return found


def _english_msgids() -> set[str]:
    """English texts of the catalog whose Spanish differs (e.g. not "PDF")."""
    texts = set()
    for entry in read_po(PO)[1:]:
        for source, target in ((entry.msgid, entry.msgstr.get(0, "")), (entry.plural, entry.msgstr.get(1, ""))):
            if source and source != target and not re.fullmatch(r"[\W\d_]*(%\(\w+\)[sd][\W\d_]*)+", source):
                texts.add(source)
    return texts


def test_the_english_finder_can_fail():
    html = (
        '<main><h1>Mis tickets</h1><button aria-label="Close">x</button><p>Status: <b>Abierto</b></p>'
        "<p>Cannot download invoice</p><p>Ada Customer · hace 3 minutos</p><script>var Save = 1;</script>"
        "<p>#12 · 3 Nov 2026</p><p>Guardar</p><input type=submit value='Send ticket'></main>"
    )
    left = english_left(html, ["Cannot download invoice", "Ada Customer"], {"Send ticket", "Close"})
    assert left == ["Close", "Status", "Send ticket"]


@pytest.fixture
def spanish_desk(django_capture_on_commit_callbacks, customer, agent, ticket):
    """Ada and Alice read Spanish; Ada's ticket has a reply, a status change and a notification."""
    for person in (customer, agent):
        account_services.user_set_locale(user=person, language="es", time_zone="Europe/Madrid")
    with django_capture_on_commit_callbacks(execute=True):
        services.message_add(actor=agent, ticket=ticket, body="Could you send a screenshot of the error?")
        services.message_add(actor=agent, ticket=ticket, body="Checked the logs.", internal=True)
        services.ticket_change_status(actor=agent, ticket=ticket, status=Status.PENDING)
    return ticket


DATA = [
    "Cannot download invoice",
    "When I click the download link nothing happens at all.",
    "Could you send a screenshot of the error?",
    "Checked the logs.",
    "Ada Customer",
    "Alice Agent",
    "Ray Admin",
    "Tom Billing",
    "ada@acme.test",
    "alice@desk.test",
    "Acme Corp",
    "Billing",  # the team's name (a name, not the category)
    "Europe/Madrid",
]

CUSTOMER_PAGES = {
    "portal list": lambda t: reverse("portal:my_tickets"),
    "portal new": lambda t: reverse("portal:new_ticket"),
    "portal ticket": lambda t: reverse("portal:ticket", args=[t.pk]),
    "profile": lambda t: reverse("accounts:profile"),
    "notifications": lambda t: reverse("notifications:list"),
}
AGENT_PAGES = {
    "agent queue": lambda t: reverse("agent:queue") + "?view=all",
    "agent ticket": lambda t: reverse("agent:ticket", args=[t.pk]),
    "agent profile": lambda t: reverse("accounts:profile"),
    "my macros": lambda t: reverse("agent:my_macros"),
    "new personal macro": lambda t: reverse("agent:my_macro_new"),
}


def _english_on(client, pages, ticket) -> dict[str, object]:
    """Each page's English words (or its status when it is not a 200), for the pages that have any."""
    found: dict[str, object] = {}
    for name, address in pages.items():
        response = client.get(address(ticket))
        if response.status_code != 200:
            found[name] = response.status_code
        elif left := english_left(response.content.decode(), DATA, _english_msgids()):
            found[name] = left
    return found


def test_a_spanish_customer_sees_no_english(client, spanish_desk, customer):
    client.force_login(customer)
    assert _english_on(client, CUSTOMER_PAGES, spanish_desk) == {}


def test_a_spanish_agent_sees_no_english(client, spanish_desk, agent):
    client.force_login(agent)
    assert _english_on(client, AGENT_PAGES, spanish_desk) == {}


SVG_NUMBER_ATTRIBUTE = re.compile(r'\s(x|y|x1|x2|y1|y2|cx|cy|r|width|height)="([^"]*)"')


def svg_numbers_localized(html: str) -> list[str]:
    """SVG coordinates written as a locale writes numbers ("82,5"): a browser reads "82,5" as two
    numbers and draws the chart wrong, so every coordinate must be a plain number."""
    found = []
    for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        for name, value in SVG_NUMBER_ATTRIBUTE.findall(svg):
            if not re.fullmatch(r"-?\d+(\.\d+)?|url\(#[\w-]+\)", value):
                found.append(f'{name}="{value}"')
    return found


def test_the_svg_number_check_can_fail():
    assert svg_numbers_localized('<svg><rect x="82,5" y="3" width="1.5"></rect></svg><p x="1,2">') == ['x="82,5"']


STATS_PAGES = {
    "last 30 days": "",
    "by week": "?period=custom&since=2026-01-05&until=2026-03-01&granularity=week",
    "by day": "?period=7&granularity=day",
    "bad dates": "?period=custom&since=2026-03-01&until=2026-01-01",  # the form's errors
    "too long for over time": "?period=custom&since=2020-01-01&until=2026-01-01",  # the section's error
}


@pytest.mark.parametrize("who", ["agent", "admin"])
def test_the_statistics_page_in_spanish(client, spanish_desk, agent, admin, who):
    """Tables, charts (their titles, descriptions and hover texts), the "Over time" section and
    its table, as an agent (own figures) and as an admin (every agent and team), for every kind of
    period (``STATS_PAGES``)."""
    reader = {"agent": agent, "admin": admin}[who]
    client.force_login(reader)
    for name, query in STATS_PAGES.items():
        account_services.user_set_locale(user=reader, language="es", time_zone="Europe/Madrid")
        response = client.get(reverse("agent:stats") + query)
        assert response.status_code == 200, name
        html = response.content.decode()
        assert ">Estadísticas</h1>" in html and ">Evolución</h2>" in html, name
        if "2020" not in query:
            assert "Cifras a lo largo del tiempo" in html and "<desc " in html, name  # the section's table, charts
        assert english_left(html, DATA, _english_msgids()) == [], name
        assert svg_numbers_localized(html) == [], name
        # The same page for an English reader: the check finds its words (so it reaches this page).
        account_services.user_set_locale(user=reader, language="en", time_zone="Europe/Madrid")
        english = client.get(reverse("agent:stats") + query).content.decode()
        assert {"Statistics", "Over time"} <= set(english_left(english, DATA, _english_msgids())), name


def _csv_header(client, table: str) -> list[str]:
    response = client.get(reverse("agent:stats_export") + f"?table={table}&period=30")
    assert response.status_code == 200, response.content
    return next(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize("table", ["trend", "agents", "teams"])
def test_csv_headers_in_the_requesters_language(client, spanish_desk, agent, admin, table):
    """A CSV download's column names are in the language of whoever asks for it."""
    client.force_login(agent)  # Alice reads Spanish
    header = _csv_header(client, table)
    assert header[0] in {"Inicio del periodo", "Agente", "Equipo"}
    english = _english_msgids()
    assert [cell for cell in header if cell in english or ENGLISH_WORDS.search(cell)] == []
    client.force_login(admin)  # Ray chose no language: the desk's English
    header = _csv_header(client, table)
    assert header[0] in {"Period start", "Agent", "Team"}
    assert [cell for cell in header if cell in english] == header  # the check above would see these


# --- the settings area ----------------------------------------------------------------------


@pytest.fixture
def spanish_settings(client, spanish_desk, admin, agent, org_member, billing_team, tech_team, globex):
    """Ray (admin) reads Spanish and has used every part of the settings area, so the audit log
    holds additions, changes (role, scope, sharing, activity), a team member and a deletion."""
    account_services.user_set_locale(user=admin, language="es", time_zone="Europe/Madrid")
    client.force_login(admin)
    done = [
        client.post(
            reverse("settings:person", args=[org_member.pk]),
            {"name": "Bob Colleague", "role": "agent", "ticket_scope": "teams", "teams": [tech_team.pk]},
        ),
        client.post(reverse("settings:team_new"), {"name": "Returns", "description": "Parcels"}),
        client.post(reverse("settings:team_member_add", args=[billing_team.pk]), {"user": agent.pk}),
        client.post(reverse("settings:organization", args=[globex.pk]), {"name": "Globex", "share_tickets": "on"}),
        client.post(reverse("settings:organization_new"), {"name": "Initech"}),
        client.post(reverse("settings:invitation_new"), {"email": "newbie@desk.test", "role": "agent"}),
    ]
    initech = account_services.Organization.objects.get(name="Initech")
    done.append(client.post(reverse("settings:organization_delete", args=[initech.pk]), {"confirmed": "1"}))
    assert [r.status_code for r in done] == [302] * len(done), [r.content[:300] for r in done]
    return client


def _invite_pk() -> int:
    from accounts.models import Invite

    return Invite.objects.get(email="newbie@desk.test").pk


SETTINGS_PAGES = {
    "people": lambda ids: reverse("settings:people"),
    "people filtered": lambda ids: reverse("settings:people") + "?role=agent&state=active",
    "a person": lambda ids: reverse("settings:person", args=[ids["bob"]]),
    "teams": lambda ids: reverse("settings:teams"),
    "a team": lambda ids: reverse("settings:team", args=[ids["billing"]]),
    "new team": lambda ids: reverse("settings:team_new"),
    "organizations": lambda ids: reverse("settings:organizations"),
    "an organization": lambda ids: reverse("settings:organization", args=[ids["acme"]]),
    "new organization": lambda ids: reverse("settings:organization_new"),
    "invitations": lambda ids: reverse("settings:invitations"),
    "new invitation": lambda ids: reverse("settings:invitation_new"),
    "audit log": lambda ids: reverse("settings:audit"),
    "confirm deactivation": lambda ids: reverse("settings:person_active", args=[ids["bob"]]),
    "confirm deleting an organization": lambda ids: reverse("settings:organization_delete", args=[ids["acme"]]),
    "confirm deleting a team": lambda ids: reverse("settings:team_delete", args=[ids["tech"]]),
    "refuse deleting a team": lambda ids: reverse("settings:team_delete", args=[ids["billing"]]),
    "confirm revoking": lambda ids: reverse("settings:invitation_revoke", args=[ids["invite"]]),
    "triggers": lambda ids: reverse("settings:triggers"),
    "a trigger": lambda ids: reverse("settings:trigger", args=[ids["trigger"]]),
    "new trigger": lambda ids: reverse("settings:trigger_new"),
    "confirm deleting a trigger": lambda ids: reverse("settings:trigger_delete", args=[ids["trigger"]]),
    "automations": lambda ids: reverse("settings:automations"),
    "an automation": lambda ids: reverse("settings:automation", args=[ids["autoclose"]]),
    "new automation": lambda ids: reverse("settings:automation_new"),
    "refuse deleting the default automation": lambda ids: reverse(
        "settings:automation_delete", args=[ids["autoclose"]]
    ),
    "macros": lambda ids: reverse("settings:macros"),
    "a macro": lambda ids: reverse("settings:macro", args=[ids["macro"]]),
    "new macro": lambda ids: reverse("settings:macro_new"),
    "confirm deleting a macro": lambda ids: reverse("settings:macro_delete", args=[ids["macro"]]),
}


def _rule_ids(admin) -> dict[str, int]:
    """A trigger that has failed once, and the desk's auto-close automation (tickets.rule_settings)."""
    from tickets.automations import default_autoclose
    from tickets.models import Trigger

    trigger, _ = Trigger.objects.get_or_create(
        name="Refunds", owner=admin, defaults={"failure_count": 1, "last_error": "Refunds: no such team"}
    )
    from tickets.models import Macro
    from tickets.services.macros import macro_create

    macro = Macro.objects.filter(name="Refund sent").first() or macro_create(
        actor=admin, name="Refund sent", actions=[{"action": "add_tags", "value": ["refund"]}], scope="everyone"
    )
    return {"trigger": trigger.pk, "autoclose": default_autoclose().pk, "macro": macro.pk}


SETTINGS_DATA = [*DATA, "Bob Colleague", "bob@acme.test", "Technical", "Returns", "Parcels", "Globex", "Initech"]
SETTINGS_DATA += ["eve@globex.test", "newbie@desk.test", "root@desk.test", "Eve Outsider"]
SETTINGS_DATA += ["Refunds: no such team", "Refunds"]  # a trigger and its last error
SETTINGS_DATA += ["Refund sent"]  # a shared macro


@pytest.mark.parametrize("language", ["es", "en"])
def test_the_settings_area_in_spanish(language, spanish_settings, admin, org_member, acme, billing_team, tech_team):
    """Every kind of settings page a Spanish admin sees has no English left; the same pages for an
    English admin are caught by the same check (so the check reaches each page's words)."""
    account_services.user_set_locale(user=admin, language=language, time_zone="Europe/Madrid")
    ids = {"bob": org_member.pk, "acme": acme.pk, "billing": billing_team.pk, "tech": tech_team.pk}
    ids["invite"] = _invite_pk()
    ids.update(_rule_ids(admin))
    autoclose = Automation.objects.get(pk=ids["autoclose"])  # its stored name and description are data
    data = [*SETTINGS_DATA, autoclose.name, autoclose.description]
    problems: dict[str, object] = {}
    for name, address in SETTINGS_PAGES.items():
        response = spanish_settings.get(address(ids))
        if response.status_code != 200:
            problems[name] = response.status_code
            continue
        html = response.content.decode()
        left = english_left(html, data, _english_msgids())
        if language == "en":
            if left == []:
                problems[name] = "the check finds no English words on the English page"
        elif not ('<html lang="es"' in html and "Configuración" in html):
            problems[name] = "not the Spanish settings area"
        elif left:
            problems[name] = left
        elif name == "audit log":  # the product's words inside entries are translated when shown
            missing = [
                shown
                for shown in (
                    "Rol:",
                    "Agente",
                    "Cliente",
                    "Alcance de tickets:",
                    "Comparte tickets:",
                    "creó",
                    "eliminó",
                )
                if shown not in html
            ]
            if missing or "Añadido miembro «Alice Agent" not in html or "la invitación de</span>" not in html:
                problems[name] = ["untranslated entries", *missing]
            elif "Invite for" in html:  # an invitation is named by its address, not its stored English name
                problems[name] = "an invitation named by its stored English name"
    assert problems == {}


def test_form_errors_in_spanish(client, spanish_desk, customer):
    client.force_login(customer)
    response = client.post(reverse("portal:new_ticket"), {"subject": "", "description": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Este campo es obligatorio." in html or "Escribe un asunto." in html
    assert english_left(html, DATA, _english_msgids()) == []


@pytest.mark.parametrize("path", ["accounts:login", "accounts:password_reset", "accounts:signup"])
def test_anonymous_pages_follow_the_browser(client, db, path):
    html = client.get(reverse(path), HTTP_ACCEPT_LANGUAGE="es-ES,es;q=0.9,en;q=0.5").content.decode()
    assert '<html lang="es"' in html
    assert english_left(html, DATA, _english_msgids()) == []
    english = client.get(reverse(path), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert '<html lang="en"' in english


def test_an_api_error_in_spanish(client, spanish_desk, customer):
    client.force_login(customer)
    response = client.get("/api/v1/tickets/999999999/")
    assert response.status_code == 404
    assert response.json() == {"detail": "No encontrado."}


CSS_WORDS = re.compile(r"""content:\s*["'][^"']*[A-Za-z]{2}""")


def test_stylesheets_write_no_words():
    """Words a stylesheet shows (``content: "..."``) cannot be translated: they come from the
    page instead (``content: attr(data-label)``)."""
    assert CSS_WORDS.search('th::after { content: "All on this page"; }')
    assert not CSS_WORDS.search('td::before { content: attr(data-label) " "; } i::before { content: "#"; }')
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in sorted((ROOT / "static" / "css").glob("*.css"))
        for match in CSS_WORDS.finditer(path.read_text())
    ]
    assert offenders == []


def _stored_texts() -> list[str]:
    """Every free text the database holds (subjects, bodies, names, addresses, labels...): what a
    page shows as data, not as its own words. Columns with choices are left out: their labels
    are the page's words."""
    from django.apps import apps

    texts: set[str] = set()
    for model in apps.get_models():
        columns = [
            f.attname
            for f in model._meta.concrete_fields
            if f.get_internal_type() in ("CharField", "TextField", "EmailField", "SlugField") and not f.choices
        ]
        for row in model._default_manager.values_list(*columns) if columns else ():
            texts.update(value for value in row if isinstance(value, str) and len(value) > 2)
    return sorted(texts)


def test_every_page_shows_a_spanish_reader_no_english(client, db):
    """Every page of the accessibility test's list (checked against the URL conf) but the Django
    admin (the back office) and Swagger UI (its own bundle): signed in as a person who chose
    Spanish, or anonymous with a Spanish browser."""
    from helpdesk.tests.test_accessibility_browser import PAGES, _decorate, _url
    from tickets.tests import hostile

    world = hostile.make_world()
    _decorate(world)
    for person in world["people"].values():
        account_services.user_set_locale(user=person, language="es", time_zone="")
    # An email's original shows its headers and source as they arrived: evidence, not words of ours.
    raw = bytes(world["inbound"].raw).decode("utf-8", errors="replace")
    data = [*_stored_texts(), raw, *re.findall(r"^([\w-]+):", raw, flags=re.M)]
    msgids = _english_msgids()
    found: dict[str, object] = {}
    checked = 0
    for key, page in PAGES.items():
        if page.route.startswith("admin:") or page.route == "api:docs":
            continue
        if page.persona == "anonymous":
            client.logout()
            response = client.get(_url(page, world), HTTP_ACCEPT_LANGUAGE="es")
        else:
            client.force_login(world["people"][page.persona])
            response = client.get(_url(page, world))
        checked += 1
        if response.status_code != 200:
            found[key] = response.status_code
        elif left := english_left(response.content.decode(), data, msgids):
            found[key] = left
    assert checked > 80
    assert found == {}, "\n".join(f"{key}: {left}" for key, left in found.items())


# --- error messages ---------------------------------------------------------------------------

#: Exceptions whose message no person reads in the product (pages, API, mail), with the reason.
#: Any other ``raise X("a sentence")`` with an untranslated literal fails the test below.
UNREAD_MESSAGES = {
    "Http404": "a 404 never shows its message (pages show the 404 page, the API says “Not found.”)",
    "ValueError": "a programming error, caught and answered in the caller's own words",
    "TypeError": "a programming error",
    "RuntimeError": "a programming error",
    "KeyError": "a programming error",
    "AssertionError": "a programming error",
    "NotImplementedError": "a programming error",
    "ImproperlyConfigured": "stops start-up with a message for the operator, in the log",
    "BackupError": "make backup / make restore: the operator's terminal",
    "ImportInterrupted": "the importers' --fail-after, an operator's test switch",
    "NoPreview": "caught: the preview is a 404",
    "ReplicaProblem": "the readiness check's codes, for the operator",
    "CacheMiss": "the readiness check, for the operator",
    "UnappliedMigrations": "the readiness check, for the operator",
    "Ignore": "the mail processor's log line kept with the stored message (written with no reader present)",
    "Quarantine": "the mail processor's log line kept with the stored message (written with no reader present)",
}


def _untranslated_raises(source: str, filename: str) -> list[str]:
    """``raise Name("words ...")``: a literal sentence (or f-string) given to an exception, not
    wrapped in gettext, where ``Name`` is not in ``UNREAD_MESSAGES``."""
    import ast

    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if not (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)):
            continue
        func = node.exc.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in UNREAD_MESSAGES:
            continue
        for arg in node.exc.args:
            literal = isinstance(arg, ast.JoinedStr) or (isinstance(arg, ast.Constant) and isinstance(arg.value, str))
            if literal and " " in ast.unparse(arg):
                found.append(f"{filename}:{node.lineno}: {name}({ast.unparse(arg)[:70]})")
    return found


def test_the_error_message_check_can_fail():
    source = (
        "raise PermissionDenied('Only agents may.')\n"
        "raise ValidationError(f'{x} is wrong here')\n"
        "raise PermissionDenied(_('Only agents may.'))\n"
        "raise invalid('comment', _('A comment needs a body.'))\n"
        "raise Http404('No such ticket.')\n"
        "raise ValueError('bad value given')\n"
    )
    assert len(_untranslated_raises(source, "x.py")) == 2


def test_every_error_message_a_person_reads_is_translated():
    """Pages, API errors and mail speak the reader's language: an exception whose message reaches
    them carries a translated text (was: the API's 403s of macros, claims and bulk changes, its
    400s for an unknown user or sort, and its 412 in English)."""
    found = []
    for app in ("accounts", "tickets", "helpdesk"):
        for path in sorted((ROOT / app).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/tests/" in relative or "/migrations/" in relative or "/management/" in relative:
                continue
            found += _untranslated_raises(path.read_text(encoding="utf-8"), relative)
    assert found == [], "wrap these messages in gettext (and run make messages):\n" + "\n".join(found)


def test_an_api_refusal_in_spanish(client, spanish_desk, customer, agent):
    """A refusal raised deep in the services reaches the API caller in their language."""
    client.force_login(customer)
    response = client.get("/api/v1/tickets/?ordering=colour")
    assert response.status_code == 400
    assert response.json()["ordering"][0].startswith("No se puede ordenar por «colour»")
    client.force_login(agent)
    response = client.post(
        "/api/v1/tickets/bulk/", {"ids": [spanish_desk.pk], "changes": {}}, content_type="application/json"
    )
    assert response.status_code == 400, response.content
    assert "Elige al menos un cambio." in response.content.decode()
    # A refusal raised by a service (PermissionDenied), not by the API layer.
    client.force_login(customer)
    response = client.patch(
        f"/api/v1/tickets/{spanish_desk.pk}/", {"status": "on_hold"}, content_type="application/json"
    )
    assert response.status_code == 403, response.content
    assert response.json()["detail"] == "Solo puedes marcar tu ticket como resuelto o reabrirlo una vez resuelto."
