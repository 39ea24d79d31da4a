"""Checking and re-encoding an uploaded photo: only pixels leave here, never the original file.

An upload is accepted only if its content (not its name) is a JPEG or PNG that decodes
completely within a pixel limit; it is turned upright, converted to sRGB, stripped of every
piece of metadata (EXIF with GPS, XMP, ICC, comments, text chunks) and saved anew as JPEG.
"""

from __future__ import annotations

import hashlib
import io
import warnings
from dataclasses import dataclass

from flask_babel import gettext as _
from PIL import Image, ImageCms, ImageOps

from dialogue.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 50_000_000
DISPLAY_SIZE = 2000
THUMBNAIL_SIZE = 480
JPEG_QUALITY = 85
MIME_TYPE = "image/jpeg"

# Pillow's own guard against decompression bombs, at our limit: it warns above it and
# refuses above twice it; we refuse both, and check the size ourselves as well.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

_SIGNATURES = {
    b"\xff\xd8\xff": "JPEG",
    b"\x89PNG\r\n\x1a\n": "PNG",
}
_SRGB = ImageCms.createProfile("sRGB")


class RefusedImage(ValidationFailed):
    """The upload is not a photo we accept."""

    def __init__(self, message: str):
        super().__init__(message, field="file")


@dataclass(frozen=True)
class Picture:
    """A photo made fit to keep: the display image and its thumbnail, both JPEG."""

    content: bytes
    width: int
    height: int
    thumb: bytes
    thumb_width: int
    thumb_height: int

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _sniffed_format(data: bytes) -> str | None:
    for signature, name in _SIGNATURES.items():
        if data.startswith(signature):
            return name
    return None


def _jpeg_is_complete(data: bytes) -> bool:
    """Tell whether the JPEG's image data runs to its end marker.

    Pillow fills in what is missing at the end of some cut-off JPEGs without a word, so we
    walk the segments to the first scan and look for the end-of-image marker after it
    (inside the scans a 0xFF byte is always followed by 0x00 or a restart marker).
    """
    position, size = 2, len(data)
    while position + 4 <= size:
        if data[position] != 0xFF:
            return False
        marker = data[position + 1]
        if marker == 0xFF:  # fill byte
            position += 1
            continue
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:  # markers without a length
            position += 2
            continue
        if marker == 0xD9:  # the end, before any scan
            return False
        length = int.from_bytes(data[position + 2 : position + 4], "big")
        if marker == 0xDA:
            return data.find(b"\xff\xd9", position + 2 + length) != -1
        position += 2 + length
    return False


def _damaged() -> RefusedImage:
    return RefusedImage(_("The file is damaged or incomplete: it cannot be read as a photo."))


def _decoded(data: bytes) -> Image.Image:
    """Open and fully decode ``data``, refusing anything but a sound JPEG or PNG."""
    if not data:
        raise RefusedImage(_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise RefusedImage(
            _("The photo is larger than %(limit)s MB.", limit=MAX_BYTES // (1024 * 1024))
        )
    expected = _sniffed_format(data)
    if expected is None:
        raise RefusedImage(_("Only JPEG or PNG photos are accepted; this file is neither."))
    if expected == "JPEG" and not _jpeg_is_complete(data):
        raise _damaged()
    too_large = RefusedImage(
        _(
            "The photo has too many pixels (at most %(limit)s megapixels).",
            limit=MAX_PIXELS // 1_000_000,
        )
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[expected])
            if image.width * image.height > MAX_PIXELS:
                raise too_large
            if expected == "PNG":
                # Checks the chunks' CRCs; the image must be opened again afterwards.
                image.verify()
                image = Image.open(io.BytesIO(data), formats=[expected])
            else:
                # Decode a JPEG at the smallest scale still larger than the display size.
                image.draft("RGB", (DISPLAY_SIZE, DISPLAY_SIZE))
            image.load()
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            raise too_large from error
        except RefusedImage:
            raise
        except (OSError, SyntaxError, ValueError, EOFError, Image.UnidentifiedImageError) as error:
            raise _damaged() from error
    return image


def _upright(image: Image.Image) -> Image.Image:
    """Turn the image as its EXIF orientation says; a broken EXIF block is ignored."""
    try:
        return ImageOps.exif_transpose(image)
    except Exception:  # noqa: BLE001 - a damaged EXIF block must not refuse a sound photo
        return image


def _srgb(image: Image.Image) -> Image.Image:
    """Return the pixels as sRGB, on white where they were transparent."""
    icc = image.info.get("icc_profile")
    if image.mode in {"I", "I;16", "I;16B", "I;16L", "F"}:
        # 16-bit greyscale PNG: keep the upper 8 bits.
        image = image.convert("I").point(lambda value: value / 256).convert("L")
    if image.mode in {"RGBA", "LA", "PA"} or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        image = Image.alpha_composite(background, rgba).convert("RGB")
    elif image.mode not in {"RGB", "L", "CMYK"}:
        image = image.convert("RGB")
    if icc:
        try:
            profile = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            return ImageCms.profileToProfile(image, profile, _SRGB, outputMode="RGB")
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # an unusable profile: take the numbers as they are
    return image.convert("RGB")


def _jpeg(image: Image.Image, size: int) -> tuple[bytes, int, int]:
    copy = image.copy()
    copy.thumbnail((size, size), Image.Resampling.LANCZOS)
    # A new image from the bare pixels: nothing of the original's info can ride along.
    clean = Image.frombytes("RGB", copy.size, copy.tobytes())
    buffer = io.BytesIO()
    clean.save(buffer, format="JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True)
    return buffer.getvalue(), clean.width, clean.height


def prepare_photo(data: bytes) -> Picture:
    """Check an uploaded file and return it re-encoded, or raise RefusedImage with the reason."""
    image = _decoded(data)
    try:
        image = _srgb(_upright(image))
        content, width, height = _jpeg(image, DISPLAY_SIZE)
        thumb, thumb_width, thumb_height = _jpeg(image, THUMBNAIL_SIZE)
    except (OSError, ValueError) as error:
        raise _damaged() from error
    return Picture(content, width, height, thumb, thumb_width, thumb_height)
