"""A stand-in for map tiles: browser tests may not reach OpenStreetMap (harness.py blocks it)."""

import base64
import io

from PIL import Image


def _blank_png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGBA", (256, 256)).save(buffer, "PNG")
    return buffer.getvalue()


# A transparent 256×256 tile, as bytes (to answer a routed request) and as a data: URL (for
# SAMEN_MAP_TILES).
BLANK_PNG = _blank_png()
BLANK_TILE = "data:image/png;base64," + base64.b64encode(BLANK_PNG).decode()
