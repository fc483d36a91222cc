"""The pages of a section of rules (triggers or automations): the list in running order with
move up/down and pause/resume, the form (new and edit, with "Test"), and deletion that asks first.

Every view takes the section's ``Kind`` (``triggers.KIND``, ``automations.KIND``) from its URL
pattern. Writes go through ``tickets.rule_admin``; its ``ValidationError`` — the engine's own
words, one message a mistake — goes back on the form next to the field it is about.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Max, QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.formats import number_format
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.settings_pages import common
from accounts.settings_pages.common import settings_view
from helpdesk.forms import apply_errors, error_text
from tickets import rule_admin
from tickets.models import Automation, Status, Trigger
from tickets.rule_settings.forms import ActiveForm, MoveForm, RuleForm, as_text

Rule = Trigger | Automation


@dataclass(frozen=True)
class Kind:
    model: type[Trigger] | type[Automation]
    section: str  # the section's slug and the URL name of its list ("triggers")
    one: str  # the URL name prefix of one rule ("trigger": trigger, trigger_new, trigger_delete…)
    list_template: str
    plural: Promise  # "Triggers"
    new: Promise  # "New trigger"
    example: dict[str, Any]  # conditions and actions a new rule starts with

    @property
    def is_trigger(self) -> bool:
        return self.model is Trigger

    @property
    def names(self) -> dict[str, str]:
        """The URL names of the section's pages, for templates."""
        one = f"settings:{self.one}"
        return {"list": f"settings:{self.section}", "edit": one, "new": f"{one}_new", "move": f"{one}_move",
                "active": f"{one}_active", "delete": f"{one}_delete"}  # fmt: skip

    def url(self, suffix: str = "", *args: Any) -> str:
        return reverse(f"settings:{self.one}{suffix}", args=args)

    def rows(self) -> QuerySet[Any]:
        return self.model.objects.select_related("owner").order_by("position", "id")


def rules(request: AuthenticatedHttpRequest, kind: Kind) -> HttpResponse:
    """Every rule in running order (one query)."""
    return common.render_page(
        request, kind.list_template, {"kind": kind, "rules": list(kind.rows())}, section=kind.section, landing=True
    )


def _form(kind: Kind, rule: Rule | None, data: Any = None, *, actor: Any = None) -> RuleForm:
    system = bool(getattr(rule, "system_key", None))
    if data is not None:
        return RuleForm(data, trigger=kind.is_trigger, system=system)
    if rule is None:
        initial = {
            "owner": actor.pk,
            "conditions": as_text(kind.example["conditions"]),
            "actions": as_text(kind.example["actions"]),
        }
    else:
        initial = {
            "name": rule.name,
            "description": rule.description,
            "on": getattr(rule, "on", None),
            "owner": rule.owner_id,
            "conditions": as_text(rule.conditions),
            "actions": as_text(rule.actions),
        }
    return RuleForm(initial=initial, trigger=kind.is_trigger, system=system)


def _test(kind: Kind, form: RuleForm) -> dict[str, Any] | None:
    """Which of the last 1,000 tickets the posted conditions match, nothing saved; None (and the
    engine's messages on the conditions field) when they are not valid."""
    form.full_clean()
    form.keep_only_conditions_errors()
    if "conditions" not in form.cleaned_data:
        return None
    try:
        result = rule_admin.test_run(form.cleaned_data["conditions"], automation=not kind.is_trigger)
    except ValidationError as exc:
        form.add_error("conditions", exc.messages)
        return None
    for ticket in result["tickets"]:
        ticket["status_label"] = Status(ticket["status"]).label
    return {**result, "sample_text": number_format(result["sample"], force_grouping=True)}


def _page(
    request: AuthenticatedHttpRequest,
    kind: Kind,
    rule: Rule | None,
    form: RuleForm,
    *,
    tested: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    return common.render_page(
        request,
        "settings/rule.html",
        {
            "kind": kind,
            "rule": rule,
            "form": form,
            "tested": tested,
            "deletion_refusal": rule_admin.deletion_refusal(rule) if rule is not None else "",
        },
        section=kind.section,
        status=status,
    )


def _fields(kind: Kind, form: RuleForm) -> dict[str, Any]:
    names = ["name", "description", "conditions", "actions", *(n for n in ("on", "owner") if n in form.fields)]
    return {name: form.cleaned_data[name] for name in names}


def rule_new(request: AuthenticatedHttpRequest, kind: Kind) -> HttpResponse:
    if request.method == "GET":
        return _page(request, kind, None, _form(kind, None, actor=request.user))
    form = _form(kind, None, request.POST)
    if "test" in request.POST:
        tested = _test(kind, form)
        return _page(request, kind, None, form, tested=tested, status=200 if tested else 400)
    if form.is_valid():
        last = kind.model.objects.aggregate(last=Max("position"))["last"] or 0
        try:
            rule = rule_admin.create(kind.model, actor=request.user, position=last + 1, **_fields(kind, form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("“%(name)s” is created and active.") % {"name": rule.name})
            return redirect(kind.url("", rule.pk))
    return _page(request, kind, None, form, status=400)


def rule_edit(request: AuthenticatedHttpRequest, kind: Kind, pk: int) -> HttpResponse:
    rule = common.get_or_404(kind.rows(), pk)
    if request.method == "GET":
        return _page(request, kind, rule, _form(kind, rule))
    form = _form(kind, rule, request.POST)
    if "test" in request.POST:
        tested = _test(kind, form)
        return _page(request, kind, rule, form, tested=tested, status=200 if tested else 400)
    if form.is_valid():
        try:
            rule_admin.update(rule, actor=request.user, **_fields(kind, form))
        except ValidationError as exc:
            apply_errors(form, exc)
            rule = common.get_or_404(kind.rows(), pk)
        else:
            messages.success(request, _("“%(name)s” is saved.") % {"name": rule.name})
            return redirect(kind.url("", rule.pk))
    return _page(request, kind, rule, form, status=400)


def rule_move(request: AuthenticatedHttpRequest, kind: Kind, pk: int) -> HttpResponse:
    rule: Rule = common.get_or_404(kind.rows(), pk)
    form = MoveForm(request.POST)
    if form.is_valid():
        rule_admin.move(rule, actor=request.user, up=form.cleaned_data["direction"] == "up")
    return redirect(f"settings:{kind.section}")


def rule_active(request: AuthenticatedHttpRequest, kind: Kind, pk: int) -> HttpResponse:
    """Pause or resume; back to the page the button was on (the list, or the rule's page)."""
    rule = common.get_or_404(kind.rows(), pk)
    form = ActiveForm(request.POST)
    back = kind.url("", rule.pk) if request.POST.get("back") == "rule" else reverse(f"settings:{kind.section}")
    if not form.is_valid():
        return redirect(back)
    active = form.cleaned_data["active"]
    try:
        rule_admin.set_active(rule, actor=request.user, active=active)
    except ValidationError as exc:
        messages.error(
            request, _("“%(name)s” stays paused: %(problem)s") % {"name": rule.name, "problem": error_text(exc)}
        )
    else:
        done = _("“%(name)s” is active.") if active else _("“%(name)s” is paused.")
        messages.success(request, done % {"name": rule.name})
    return redirect(back)


def rule_delete(request: AuthenticatedHttpRequest, kind: Kind, pk: int) -> HttpResponse:
    """GET asks; POST deletes. The desk's own automation is refused, in the service's words."""
    rule = common.get_or_404(kind.rows(), pk)
    back = kind.url("", rule.pk)
    refusal = rule_admin.deletion_refusal(rule)
    if request.method == "POST" and not refusal:
        try:
            rule_admin.delete(rule, actor=request.user)
        except ValidationError as exc:
            refusal = error_text(exc)
        else:
            messages.success(request, _("“%(name)s” is deleted.") % {"name": rule.name})
            return redirect(f"settings:{kind.section}")
    return common.confirm(
        request,
        section=kind.section,
        title=_("Delete “%(name)s”?") % {"name": rule.name},
        question=_("“%(name)s” will be deleted for good.") % {"name": rule.name},
        consequences=[
            _("It stops running at once."),
            _("Tickets it changed keep their changes; their history still says it made them."),
            _("To stop it for a while instead, pause it."),
        ],
        button=_("Yes, delete it"),
        cancel_url=back,
        refusal=refusal,
        status=409 if request.method == "POST" and refusal else 200,
    )


_rules = settings_view(require_http_methods(["GET"])(rules))
_new = settings_view(require_http_methods(["GET", "POST"])(rule_new))
_edit = settings_view(require_http_methods(["GET", "POST"])(rule_edit))
_move = settings_view(require_POST(rule_move))
_active = settings_view(require_POST(rule_active))
_delete = settings_view(require_http_methods(["GET", "POST"])(rule_delete))


def urlpatterns_for(kind: Kind) -> list:
    """``/settings/<section>/``: the list, new, one rule, and its move, pause/resume and delete."""
    one, extra = kind.one, {"kind": kind}
    return [
        path("", _rules, extra, name=kind.section),
        path("new/", _new, extra, name=f"{one}_new"),
        path("<int:pk>/", _edit, extra, name=one),
        path("<int:pk>/move/", _move, extra, name=f"{one}_move"),
        path("<int:pk>/active/", _active, extra, name=f"{one}_active"),
        path("<int:pk>/delete/", _delete, extra, name=f"{one}_delete"),
    ]
