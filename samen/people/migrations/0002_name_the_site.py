"""Name the site "Samen" so allauth's e-mails do not greet people from "example.com".

allauth takes the sender's name and the subject prefix from the sites framework. The domain
follows SAMEN_SITE_URL at the time of migrating; a later change of URL only needs the admin.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import migrations


def name_the_site(apps, schema_editor):
    Site = apps.get_model("sites", "Site")
    domain = urlsplit(settings.SITE_URL).netloc or "127.0.0.1:8000"
    Site.objects.update_or_create(pk=settings.SITE_ID, defaults={"domain": domain, "name": "Samen"})


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
        ("sites", "0002_alter_domain_unique"),
    ]

    operations = [migrations.RunPython(name_the_site, migrations.RunPython.noop)]
