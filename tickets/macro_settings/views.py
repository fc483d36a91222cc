"""The pages of macros: the list, the form (new and edit, with "Preview" on a ticket), pause or
activate, and deletion that asks first — for the desk's shared macros (``SHARED``, in the
settings area, desk managers only) and for an agent's own (``PERSONAL``, "My macros").

Every view takes its ``Place`` from its URL pattern. Who may reach which macro is
``tickets.permissions`` only: the list and every page of one macro are ``manageable_macros``
narrowed to the place's scope, so another agent's personal macro — or, in My macros, a shared
one — is a 404. Writes go through ``tickets.services.macros``; its ``ValidationError`` (the
engine's own words) goes back on the form next to the field it is about.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.http import AuthenticatedHttpRequest
from accounts.settings_pages import common
from helpdesk.forms import apply_errors, error_text
from tickets import permissions
from tickets.macro_settings.forms import ActiveForm, MacroForm, action_reference, example, placeholder_reference
from tickets.models import Macro, MacroScope
from tickets.rule_settings.forms import as_text
from tickets.services import macros as macro_services
from tickets.views.macros import shown_changes


@dataclass(frozen=True)
class Place:
    personal: bool
    prefix: str  # URL names: "<prefix>s" the list, "<prefix>" one macro, "<prefix>_new"…
    plural: Promise
    new: Promise

    @property
    def names(self) -> dict[str, str]:
        one = self.prefix
        return {"list": f"{one}s", "edit": one, "new": f"{one}_new", "active": f"{one}_active",
                "delete": f"{one}_delete"}  # fmt: skip

    def url(self, suffix: str = "", *args: Any) -> str:
        return reverse(f"{self.prefix}{suffix}", args=args)

    def rows(self, user: Any) -> QuerySet[Macro]:
        """The macros of this place ``user`` manages (``permissions.manageable_macros``)."""
        mine = permissions.manageable_macros(user).select_related("team")
        if self.personal:
            return mine.filter(scope=MacroScope.PERSONAL).order_by("name", "id")
        return mine.exclude(scope=MacroScope.PERSONAL).order_by("position", "name", "id")

    def allowed(self, user: Any) -> bool:
        if self.personal:
            return permissions.may_create_macro(user, MacroScope.PERSONAL)
        return permissions.may_create_macro(user, MacroScope.EVERYONE)  # the desk's managers

    def render(
        self, request: HttpRequest, template: str, context: dict[str, Any], *, status: int = 200
    ) -> HttpResponse:
        context = {**context, "place": self}
        if self.personal:  # My macros: reached from the profile, marked there in the main menu
            return render(request, template, {**context, "nav": "profile", "layout": "macros/_agent_layout.html"},
                          status=status)  # fmt: skip
        context["layout"] = "settings/_base.html"
        return common.render_page(request, template, context, section="macros", landing=template.endswith("list.html"),
                                  status=status)  # fmt: skip


SHARED = Place(personal=False, prefix="settings:macro", plural=gettext_lazy("Macros"), new=gettext_lazy("New macro"))
PERSONAL = Place(
    personal=True, prefix="agent:my_macro", plural=gettext_lazy("My macros"), new=gettext_lazy("New macro")
)


def guarded(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Only the people the place is for; everybody else gets a 404, as for every page they may not see."""

    @wraps(view)
    def inner(request: HttpRequest, *args: Any, place: Place, **kwargs: Any) -> HttpResponse:
        if not place.allowed(request.user):
            raise Http404("No such page.")
        return view(request, *args, place=place, **kwargs)

    return inner


def macro_list(request: AuthenticatedHttpRequest, place: Place) -> HttpResponse:
    return place.render(request, "macros/list.html", {"macros": list(place.rows(request.user))})


def _form(place: Place, macro: Macro | None, data: Any = None) -> MacroForm:
    if data is not None:
        return MacroForm(data, personal=place.personal)
    initial: dict[str, Any]
    if macro is None:
        initial = {"scope": MacroScope.EVERYONE.value, "actions": as_text(example())}
    else:
        initial = {"name": macro.name, "description": macro.description, "scope": macro.scope,
                   "team": macro.team_id, "actions": as_text(macro.actions)}  # fmt: skip
    return MacroForm(initial=initial, personal=place.personal)


def _preview(request: AuthenticatedHttpRequest, form: MacroForm) -> dict[str, Any] | None:
    """What the posted actions would change on the chosen ticket, nothing saved; None (and the
    engine's messages on the form) when they cannot be previewed."""
    form.full_clean()
    form.keep_only_preview_errors()
    if "actions" not in form.cleaned_data or "preview_ticket" not in form.cleaned_data:
        return None
    number = form.cleaned_data["preview_ticket"]
    if number is None:
        form.add_error("preview_ticket", _("Enter the number of a ticket to preview on."))
        return None
    from tickets import selectors

    try:
        ticket = selectors.ticket_get_for_user(request.user, number)
        preview = macro_services.macro_preview_draft(
            actor=request.user, actions=form.cleaned_data["actions"], ticket=ticket
        )
    except Http404:
        form.add_error("preview_ticket", _("There is no ticket #%(number)s you can see.") % {"number": number})
        return None
    except ValidationError as exc:
        apply_errors(form, exc)
        return None
    except PermissionDenied:
        form.add_error("actions", _("You may not make these changes."))
        return None
    return {"ticket": ticket, "changes": shown_changes(preview["changes"]), "reply": preview.get("reply"),
            "note": preview.get("note")}  # fmt: skip


def _page(request: AuthenticatedHttpRequest, place: Place, macro: Macro | None, form: MacroForm, *,
          previewed: dict[str, Any] | None = None, status: int = 200) -> HttpResponse:  # fmt: skip
    context = {"macro": macro, "form": form, "previewed": previewed, "action_names": action_reference(),
               "placeholder_names": placeholder_reference()}  # fmt: skip
    return place.render(request, "macros/macro.html", context, status=status)


def _fields(place: Place, form: MacroForm) -> dict[str, Any]:
    fields = form.macro_fields()
    if place.personal:
        fields["scope"] = MacroScope.PERSONAL
    return fields


def macro_new(request: AuthenticatedHttpRequest, place: Place) -> HttpResponse:
    if request.method == "GET":
        return _page(request, place, None, _form(place, None))
    form = _form(place, None, request.POST)
    if "preview" in request.POST:
        previewed = _preview(request, form)
        return _page(request, place, None, form, previewed=previewed, status=200 if previewed else 400)
    if form.is_valid():
        try:
            macro = macro_services.macro_create(actor=request.user, **_fields(place, form))
        except ValidationError as exc:
            apply_errors(form, exc)
        else:
            messages.success(request, _("Macro “%(name)s” is created.") % {"name": macro.name})
            return redirect(place.url("", macro.pk))
    return _page(request, place, None, form, status=400)


def macro_edit(request: AuthenticatedHttpRequest, place: Place, pk: int) -> HttpResponse:
    macro = common.get_or_404(place.rows(request.user), pk)
    if request.method == "GET":
        return _page(request, place, macro, _form(place, macro))
    form = _form(place, macro, request.POST)
    if "preview" in request.POST:
        previewed = _preview(request, form)
        return _page(request, place, macro, form, previewed=previewed, status=200 if previewed else 400)
    if form.is_valid():
        try:
            macro = macro_services.macro_update(actor=request.user, macro=macro, **_fields(place, form))
        except ValidationError as exc:
            apply_errors(form, exc)
            macro = common.get_or_404(place.rows(request.user), pk)
        else:
            messages.success(request, _("Macro “%(name)s” is saved.") % {"name": macro.name})
            return redirect(place.url("", macro.pk))
    return _page(request, place, macro, form, status=400)


def macro_active(request: AuthenticatedHttpRequest, place: Place, pk: int) -> HttpResponse:
    """Deactivate or activate; back to the page the button was on (the list, or the macro's page)."""
    macro = common.get_or_404(place.rows(request.user), pk)
    form = ActiveForm(request.POST)
    back = place.url("", macro.pk) if request.POST.get("back") == "macro" else place.url("s")
    if form.is_valid():
        active = form.cleaned_data["active"]
        try:
            macro_services.macro_update(actor=request.user, macro=macro, active=active)
        except ValidationError as exc:
            messages.error(request, _("“%(name)s” is unchanged: %(problem)s") % {"name": macro.name,
                                                                                "problem": error_text(exc)})  # fmt: skip
        else:
            done = _("“%(name)s” is active.") if active else _("“%(name)s” is inactive.")
            messages.success(request, done % {"name": macro.name})
    return redirect(back)


def macro_delete(request: AuthenticatedHttpRequest, place: Place, pk: int) -> HttpResponse:
    """GET asks; POST deletes."""
    macro = common.get_or_404(place.rows(request.user), pk)
    if request.method == "POST":
        macro_services.macro_delete(actor=request.user, macro=macro)
        messages.success(request, _("Macro “%(name)s” is deleted.") % {"name": macro.name})
        return redirect(place.url("s"))
    consequences = [_("Nobody can apply it any more."),
                    _("Tickets it changed keep their changes; their history still says it made them."),
                    _("To stop it for a while instead, deactivate it.")]  # fmt: skip
    return place.render(request, "macros/delete.html", {"macro": macro, "consequences": consequences})


_list = guarded(require_http_methods(["GET"])(macro_list))
_new = guarded(require_http_methods(["GET", "POST"])(macro_new))
_edit = guarded(require_http_methods(["GET", "POST"])(macro_edit))
_active = guarded(require_POST(macro_active))
_delete = guarded(require_http_methods(["GET", "POST"])(macro_delete))


def urlpatterns_for(place: Place) -> list:
    """The list, new, one macro, and its activate/deactivate and delete (names without the namespace)."""
    one, extra = place.prefix.split(":")[1], {"place": place}
    return [
        path("", _list, extra, name=f"{one}s"),
        path("new/", _new, extra, name=f"{one}_new"),
        path("<int:pk>/", _edit, extra, name=one),
        path("<int:pk>/active/", _active, extra, name=f"{one}_active"),
        path("<int:pk>/delete/", _delete, extra, name=f"{one}_delete"),
    ]
