"""Uploaded images show with debug off, as in production: Samen serves MEDIA_ROOT itself (core.media).

The browser conftest stops Django's live server from answering /media/ on its own, so this is Samen's route.
"""

import io

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from PIL import Image

from .harness import visit

pytestmark = pytest.mark.browser


def test_an_initiatives_image_shows_with_debug_off(page, initiative):
    assert not settings.DEBUG
    picture = io.BytesIO()
    Image.new("RGB", (48, 32), (11, 107, 58)).save(picture, format="PNG")
    initiative.image.save("pump.png", ContentFile(picture.getvalue()), save=True)
    image_url = initiative.image.url
    assert image_url.startswith(settings.MEDIA_URL)

    with page.expect_response(lambda response: response.url.endswith(image_url)) as answer:
        visit(page, f"/initiatives/{initiative.slug}/")

    assert answer.value.status == 200
    assert answer.value.headers["content-type"] == "image/png"
    image = page.locator(f'main img[src="{image_url}"]')
    # Decoded and drawn at its own size: the browser got a real picture, not an error page.
    assert image.evaluate("(img) => img.complete && [img.naturalWidth, img.naturalHeight]") == [48, 32]
