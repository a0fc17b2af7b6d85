"""Private files are stored outside MEDIA_ROOT and have no URL at all."""

import pytest
from django.core.files.base import ContentFile

from samen.core.storage import private_storage


def test_private_files_live_outside_the_public_media_folder(settings):
    name = private_storage.save("evidence/photo.jpg", ContentFile(b"original bytes"))
    path = private_storage.path(name)
    assert path.startswith(str(settings.SAMEN_PRIVATE_MEDIA_ROOT))
    assert not path.startswith(str(settings.MEDIA_ROOT))
    with private_storage.open(name) as handle:
        assert handle.read() == b"original bytes"


def test_a_private_file_has_no_url():
    name = private_storage.save("evidence/photo.jpg", ContentFile(b"x"))
    with pytest.raises(ValueError, match="no URL"):
        private_storage.url(name)
