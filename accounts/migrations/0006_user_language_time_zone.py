"""A person's language and time zone (accounts/languages.py). Both blank by default (the browser's
language, the desk's zone): adding them rewrites no row's meaning and is safe on a live database."""

import accounts.languages
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0005_user_email_bouncing'),
    ]

    operations = [
        migrations.AddField(
            model_name='user',
            name='language',
            field=models.CharField(blank=True, default='', max_length=16, validators=[accounts.languages.validate_language]),
        ),
        migrations.AddField(
            model_name='user',
            name='time_zone',
            field=models.CharField(blank=True, default='', max_length=64, validators=[accounts.languages.validate_time_zone]),
        ),
    ]
