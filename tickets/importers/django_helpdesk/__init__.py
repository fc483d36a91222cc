"""The django-helpdesk importer (``manage.py import_django_helpdesk``): ``source`` reads its
tables, ``mapping`` translates its values, ``importer`` writes them here."""
