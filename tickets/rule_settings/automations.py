"""Settings → Automations (URL patterns; the pages are ``tickets.rule_settings.views``)."""

from django.utils.translation import gettext_lazy as _

from tickets.models import Automation
from tickets.rule_settings.views import Kind, urlpatterns_for

KIND = Kind(
    model=Automation,
    section="automations",
    one="automation",
    list_template="settings/automations.html",
    plural=_("Automations"),
    new=_("New automation"),
    example={
        "conditions": {
            "all": [
                {"field": "status", "operator": "is", "value": "pending"},
                {"field": "hours_since_updated", "operator": "greater_than", "value": 72},
            ]
        },
        "actions": [{"action": "add_tags", "value": ["waiting-72h"]}],
    },
)

urlpatterns = urlpatterns_for(KIND)
