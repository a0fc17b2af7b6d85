"""Storage for files that must never have a public address: evidence originals, for instance.

Files live under SAMEN_PRIVATE_MEDIA_ROOT, which no URL serves. `url()` raises, so a template
cannot leak a link by accident; a view that has checked the viewer streams the file instead.
"""

import os

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.utils.deconstruct import deconstructible


@deconstructible
class PrivateStorage(FileSystemStorage):
    def __init__(self):
        super().__init__(base_url=None)

    # Read the setting on every use, so tests (and deployments) can point it elsewhere.
    @property
    def base_location(self):
        return settings.SAMEN_PRIVATE_MEDIA_ROOT

    @property
    def location(self):
        return os.path.abspath(self.base_location)

    def url(self, name):
        raise ValueError("Private files have no URL; serve them through a view that checks the viewer.")


private_storage = PrivateStorage()
