"""Forms of the pages: ``portal`` (customers), ``agent`` (the agent workspace) and ``shared``
(what both use: the multiple-file field). Forms collect and shape input; the services validate it
fully and their errors go back on the form with ``helpdesk.forms.apply_errors``."""
