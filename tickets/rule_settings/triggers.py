"""Settings → Triggers (URL patterns; the pages are ``tickets.rule_settings.views``)."""

from django.utils.translation import gettext_lazy as _

from tickets.models import Trigger
from tickets.rule_settings.views import Kind, urlpatterns_for

KIND = Kind(
    model=Trigger,
    section="triggers",
    one="trigger",
    list_template="settings/triggers.html",
    plural=_("Triggers"),
    new=_("New trigger"),
    example={
        "conditions": {"all": [{"field": "subject", "operator": "contains", "value": "invoice"}]},
        "actions": [{"action": "add_tags", "value": ["billing"]}],
    },
)

urlpatterns = urlpatterns_for(KIND)
