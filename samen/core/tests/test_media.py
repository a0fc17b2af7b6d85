"""Public uploads are served by Samen itself (core.media), with debug off, and nothing else is."""

import os
from email.utils import formatdate

import pytest
from django.test import override_settings

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 16


@pytest.fixture
def media(settings):
    root = settings.MEDIA_ROOT
    (root / "initiatives" / "2026").mkdir(parents=True)
    (root / "initiatives" / "2026" / "pump.png").write_bytes(PNG)
    return root


def test_an_image_is_served_with_its_type_and_cache_headers(client, media, settings):
    assert not settings.DEBUG

    response = client.get("/media/initiatives/2026/pump.png")

    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=86400"
    assert response["Content-Security-Policy"] == "default-src 'none'; img-src 'self'; sandbox"
    assert client.head("/media/initiatives/2026/pump.png").status_code == 200
    assert client.post("/media/initiatives/2026/pump.png").status_code == 405


def test_an_unchanged_image_answers_not_modified(client, media):
    stamp = (media / "initiatives" / "2026" / "pump.png").stat().st_mtime

    response = client.get(
        "/media/initiatives/2026/pump.png", HTTP_IF_MODIFIED_SINCE=formatdate(stamp, usegmt=True)
    )

    assert response.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/media/initiatives/2026/missing.png",
        "/media/notes.html",  # not an image type: never served, whatever it holds
        "/media/initiatives/2026/pump.png.html",
        "/media/initiatives/2026/../../../secret.png",
        "/media/%2e%2e/secret.png",
        "/media/initiatives/",
    ],
)
def test_nothing_but_images_inside_media_root_is_served(client, media, path):
    (media / "notes.html").write_text("<script>alert(1)</script>")
    (media.parent / "secret.png").write_bytes(PNG)

    assert client.get(path).status_code == 404


def test_a_link_out_of_media_root_is_not_followed(client, media):
    (media.parent / "outside.png").write_bytes(PNG)
    os.symlink(media.parent / "outside.png", media / "initiatives" / "link.png")

    assert client.get("/media/initiatives/link.png").status_code == 404


def test_private_files_are_not_served_even_inside_media_root(client, media, settings):
    private = media / "private"
    (private / "evidence").mkdir(parents=True)
    (private / "evidence" / "face.png").write_bytes(PNG)

    with override_settings(SAMEN_PRIVATE_MEDIA_ROOT=private):
        assert client.get("/media/private/evidence/face.png").status_code == 404
