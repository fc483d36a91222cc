"""Settings → Macros (URL patterns; the pages are ``tickets.macro_settings.views``)."""

from tickets.macro_settings.views import SHARED, urlpatterns_for

urlpatterns = urlpatterns_for(SHARED)
