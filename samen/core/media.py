"""Uploaded public images (MEDIA_ROOT), served by Samen itself with debug on or off.

Everything under MEDIA_ROOT is public by design: uploads are re-encoded by `images.reencode_image`,
which drops their metadata. Private files (evidence originals) live under SAMEN_PRIVATE_MEDIA_ROOT
(`storage.private_storage`), which this view never reaches, even when someone puts that folder inside
MEDIA_ROOT. Only the image types that `reencode_image` writes are served, each with its own content
type; any other name answers 404, so a stray file can never be served as a page.

Serving from Django suits a small site and keeps `make run` to one process. A busy site puts a CDN or
S3-compatible storage in front (MEDIA_URL on another host), and then this route is not mounted.
"""

from pathlib import Path, PurePosixPath

from django.conf import settings
from django.http import FileResponse, Http404, HttpResponseNotModified
from django.utils.http import http_date
from django.views.decorators.http import require_safe
from django.views.static import was_modified_since

CONTENT_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".webp": "image/webp",
    ".gif": "image/gif",
}
# Long enough for a browser or proxy to keep an image between pages; a replaced image gets a new name.
MAX_AGE = 24 * 60 * 60


def public_file(name: str) -> Path:
    """The file under MEDIA_ROOT for a URL path, or Http404: no way out of the folder, no private file."""
    if PurePosixPath(name).suffix.lower() not in CONTENT_TYPES or "\x00" in name:
        raise Http404("No such file")
    root = Path(settings.MEDIA_ROOT).resolve()
    private = Path(settings.SAMEN_PRIVATE_MEDIA_ROOT).resolve()
    # resolve() follows ".." and symbolic links, so the checks below see where the file really is.
    path = (root / name).resolve()
    if not path.is_relative_to(root) or path.is_relative_to(private) or not path.is_file():
        raise Http404("No such file")
    return path


@require_safe
def serve(request, name: str):
    path = public_file(name)
    modified = path.stat().st_mtime
    if not was_modified_since(request.META.get("HTTP_IF_MODIFIED_SINCE"), int(modified)):
        return HttpResponseNotModified()
    response = FileResponse(path.open("rb"), content_type=CONTENT_TYPES[path.suffix.lower()])
    response["Last-Modified"] = http_date(modified)
    response["Cache-Control"] = f"public, max-age={MAX_AGE}"
    # An image opened on its own can run nothing and load nothing.
    response["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response
