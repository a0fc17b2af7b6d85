"""Uploaded images: checked for size and type, then re-encoded with Pillow.

Re-encoding drops everything but the pixels, so EXIF metadata (GPS position, camera serial)
never reaches the public. That matters for people reporting from places where they are at risk.
"""

import io

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp", "GIF": "png"}
MAX_PIXELS = 40_000_000
MAX_SIDE = 2000


def reencode_image(upload, max_side: int = MAX_SIDE) -> SimpleUploadedFile:
    """Return a clean copy of an uploaded image, or raise ValidationError with a clear message."""
    limit = settings.SAMEN_MAX_UPLOAD_BYTES
    if upload.size > limit:
        raise ValidationError(
            _("The image is %(size)s MB; the limit is %(limit)s MB.")
            % {"size": round(upload.size / 1_048_576, 1), "limit": round(limit / 1_048_576, 1)}
        )
    try:
        upload.seek(0)
        image: Image.Image = Image.open(upload)
        if image.format not in ALLOWED_FORMATS:
            raise ValidationError(_("Upload a JPEG, PNG, WebP or GIF image."))
        if image.width * image.height > MAX_PIXELS:
            raise ValidationError(_("The image has too many pixels."))
        image.load()
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise ValidationError(_("This file is not an image we can read.")) from exc
    source_format = image.format
    image = ImageOps.exif_transpose(image)
    image.thumbnail((max_side, max_side))
    out_format = "JPEG" if source_format == "JPEG" else ("WEBP" if source_format == "WEBP" else "PNG")
    if out_format == "JPEG" and image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    if out_format == "PNG" and image.mode not in ("RGB", "RGBA", "L", "LA", "P"):
        image = image.convert("RGBA")
    buffer = io.BytesIO()
    # Saving without exif= / pnginfo= writes no metadata at all.
    image.save(buffer, format=out_format, quality=85, optimize=True)
    extension = ALLOWED_FORMATS.get(out_format, "png") if out_format != "PNG" else "png"
    stem = (getattr(upload, "name", "image") or "image").rsplit(".", 1)[0][:60] or "image"
    return SimpleUploadedFile(
        f"{stem}.{extension}", buffer.getvalue(), content_type=f"image/{out_format.lower()}"
    )
