"""Fixtures for the initiatives tests, on top of the named people in the root conftest."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from samen.core.cache import fragments
from samen.initiatives.models import Initiative


@pytest.fixture
def draft(initiative):
    """The shared initiative, still a draft: visible to its team only."""
    initiative.set_status(Initiative.Status.DRAFT)
    return initiative


def jpeg_bytes(size=(64, 48), exif=None) -> bytes:
    buffer = io.BytesIO()
    image = Image.new("RGB", size, (200, 80, 40))
    if exif is not None:
        image.save(buffer, format="JPEG", exif=exif)
    else:
        image.save(buffer, format="JPEG")
    return buffer.getvalue()


def jpeg_upload(name="photo.jpg", **kwargs) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_bytes(**kwargs), content_type="image/jpeg")


@pytest.fixture(autouse=True)
def _empty_cache():
    """The initiative page caches fragments; each test starts from an empty cache, as after a deploy."""
    fragments.clear()
    yield
    fragments.clear()
