"""Checking and re-encoding an uploaded photo: only pixels leave here, never the original file.

An upload is accepted only if its content (not its name) is a JPEG or PNG that decodes
completely within a pixel limit; it is turned upright, converted to sRGB, stripped of every
piece of metadata (EXIF with GPS, XMP, ICC, comments, text chunks) and saved anew as JPEG.

A small file can hold a huge image (a single-colour PNG of 7000 × 7000 pixels is 190 KB and
decodes to 196 MB), so its memory is bounded before any pixel is decoded: the size the header
declares is checked, at most ``DECODES_AT_ONCE`` images are decoded at a time in a process,
the decoded image is shrunk a band of rows at a time (never copied whole), and the memory is
handed back to the system afterwards.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import hashlib
import io
import math
import threading
import warnings
from dataclasses import dataclass

from flask_babel import format_decimal
from flask_babel import gettext as _
from PIL import ExifTags, Image, ImageCms

from dialogue.errors import ValidationFailed

MAX_BYTES = 10 * 1024 * 1024
# A 50-megapixel phone photo (8160 × 6120) is accepted.
MAX_PIXELS = 50_000_000
# Width × height × bands as the header declares them: such a photo in colour (3 bands) at
# full size; an image with transparency (4 bands) may have 37.5 megapixels, a progressive
# JPEG (its decoder keeps two bytes a coefficient) 50 with colour at half size, else 25.
MAX_DECODED_BYTES = 150_000_000
# Images decoded at a time in one process; a further upload waits its turn. One decode at
# the limits takes about 200 MB (Pillow keeps a colour pixel in 4 bytes).
DECODES_AT_ONCE = 1
DECODE_WAIT_SECONDS = 20.0
DISPLAY_SIZE = 2000
THUMBNAIL_SIZE = 480
# A JPEG is decoded at the smallest scale still twice the display size, as Pillow's thumbnail does.
REDUCING_GAP = 2
# Rows of the display image made at a time from the decoded image.
BAND_ROWS = 64
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
_SIXTEEN_BIT = frozenset({"I", "I;16", "I;16B", "I;16L", "I;16N", "F"})
_TURNS = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

_decoding = threading.BoundedSemaphore(DECODES_AT_ONCE)
# The warnings filters belong to the whole process: threads opening photos take turns.
_opening = threading.Lock()


def _malloc_trim():
    """glibc's malloc_trim, or None elsewhere (musl, macOS)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_trim = _malloc_trim()


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


def upload_sha256(data: bytes) -> str:
    """The fingerprint of an uploaded file, which finds the same file again without decoding it."""
    return hashlib.sha256(data).hexdigest()


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


def _megapixels(pixels: float) -> str:
    return format_decimal(round(pixels / 1_000_000, 1), format="#,##0.#")


def _too_many_pixels(size: tuple[int, int] | None, bytes_per_pixel: float) -> RefusedImage:
    limit = _megapixels(min(MAX_PIXELS, MAX_DECODED_BYTES / bytes_per_pixel))
    if size is None:
        return RefusedImage(
            _(
                "The photo has too many pixels: more than the %(limit)s megapixels accepted. "
                "Make it smaller and upload it again.",
                limit=limit,
            )
        )
    width, height = size
    return RefusedImage(
        _(
            "The photo has too many pixels: %(width)s × %(height)s (%(megapixels)s megapixels), "
            "more than the %(limit)s megapixels accepted for an image of this kind. "
            "Make it smaller and upload it again.",
            width=width,
            height=height,
            megapixels=_megapixels(width * height),
            limit=limit,
        )
    )


def _png_size(data: bytes) -> tuple[int, int] | None:
    """The width and height in a PNG's header (IHDR comes first), or None for a JPEG."""
    if data.startswith(b"\x89PNG\r\n\x1a\n") and data[12:16] == b"IHDR":
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return None


def _opened(data: bytes, expected: str) -> Image.Image:
    """Open ``data`` lazily (the header only), refusing the size it declares if too large.

    The decoded size is width × height × bands: an RGBA image of 7000 × 7000 is 196 MB.
    """
    with _opening, warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        try:
            image = Image.open(io.BytesIO(data), formats=[expected])
        except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
            # Pillow's own guard, at the same limit, spoke first.
            raise _too_many_pixels(_png_size(data), 1) from error
    pixels, cost = image.width * image.height, _decoded_bytes(image)
    if pixels > MAX_PIXELS or cost > MAX_DECODED_BYTES:
        image.close()
        raise _too_many_pixels(image.size, cost / pixels)
    return image


def _decoded_bytes(image: Image.Image) -> int:
    """The memory decoding takes, from the header: width × height × bands.

    A progressive JPEG's decoder keeps every DCT coefficient of the whole image, two bytes
    each, whatever the scale it decodes at; colour planes stored at half size count less.
    """
    pixels = image.width * image.height
    layers = getattr(image, "layer", None)  # a JPEG's components: (id, h, v, table)
    if image.format == "JPEG" and image.info.get("progressive") and layers:
        widest = max(layer[1] for layer in layers) * max(layer[2] for layer in layers)
        return math.ceil(2 * pixels * sum(layer[1] * layer[2] for layer in layers) / widest)
    return pixels * len(image.getbands())


def _checked(data: bytes) -> Image.Image:
    """Refuse anything but a sound JPEG or PNG of a bounded size; return it opened, not decoded."""
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
    try:
        image = _opened(data, expected)
        if expected == "PNG":
            # Checks the chunks' CRCs without decoding; the image must be opened again afterwards.
            image.verify()
            image = _opened(data, expected)
    except RefusedImage:
        raise
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise _damaged() from error
    return image


def _fitted(size: tuple[int, int], box: int) -> tuple[int, int]:
    """The size of an image of ``size`` shrunk to fit in a square of ``box`` pixels."""
    width, height = size
    if width <= box and height <= box:
        return size
    scale = box / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def _working_mode(image: Image.Image) -> str:
    """The mode pixels are resampled in: 8 bits a band, no transparency, colours untouched."""
    if image.mode in {"L", "RGB", "CMYK"}:
        return image.mode
    if image.mode in _SIXTEEN_BIT:
        return "L"
    return "RGB"


def _flattened(band: Image.Image, mode: str) -> Image.Image:
    """Return ``band`` in ``mode``, on white where it was transparent."""
    if band.mode == mode:
        return band
    if band.mode in _SIXTEEN_BIT:
        # 16-bit greyscale PNG: keep the upper 8 bits.
        return band.convert("I").point(lambda value: value / 256).convert("L")
    if band.mode in {"RGBA", "LA", "PA"} or (band.mode == "P" and "transparency" in band.info):
        rgba = band if band.mode == "RGBA" else band.convert("RGBA")
        # Pasting through its own alpha blends it over white, as alpha compositing would.
        flat = Image.new(mode, rgba.size, "white")
        flat.paste(rgba, mask=rgba)
        return flat
    return band.convert(mode)


def _shrunk(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """Resample the decoded ``image`` to ``size`` (Lanczos), a band of rows at a time.

    Each band of source rows, with the rows the filter reaches beyond it, is copied, made
    8-bit and opaque, and resampled on its own: no full-size copy of the decoded image is
    ever made (Pillow's own resize and reduce copy a transparent image whole first).
    """
    mode = _working_mode(image)
    if size == image.size:
        return _flattened(image.copy(), mode)
    width, height = image.size
    scale = height / size[1]
    # Lanczos reaches three output pixels, that is 3 × scale source rows, on either side.
    reach = math.ceil(3 * max(scale, 1)) + 1
    result = Image.new(mode, size)
    for top in range(0, size[1], BAND_ROWS):
        bottom = min(top + BAND_ROWS, size[1])
        first = max(0, math.floor(top * scale) - reach)
        last = min(height, math.ceil(bottom * scale) + reach)
        band = _flattened(image.crop((0, first, width, last)), mode)
        part = band.resize(
            (size[0], bottom - top),
            Image.Resampling.LANCZOS,
            box=(0, top * scale - first, width, bottom * scale - first),
        )
        result.paste(part, (0, top))
    return result


def _turn(image: Image.Image) -> Image.Transpose | None:
    """How the EXIF orientation says to turn the image; a broken EXIF block is ignored."""
    try:
        return _TURNS.get(image.getexif().get(ExifTags.Base.Orientation))
    except Exception:  # noqa: BLE001 - a damaged EXIF block must not refuse a sound photo
        return None


def _srgb(image: Image.Image, icc: bytes | None) -> Image.Image:
    """Return the pixels as sRGB."""
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


def _display_image(image: Image.Image) -> Image.Image:
    """Decode ``image`` at the display size, upright and in sRGB; free the decoded pixels."""
    try:
        if image.format == "JPEG":
            # Decode at the smallest scale (1/2, 1/4, 1/8) still twice the display size.
            width, height = _fitted(image.size, DISPLAY_SIZE)
            image.draft("RGB", (width * REDUCING_GAP, height * REDUCING_GAP))
        image.load()
        display = _shrunk(image, _fitted(image.size, DISPLAY_SIZE))
        turn, icc = _turn(image), image.info.get("icc_profile")
    finally:
        # Free the decoded pixels now, even if something above failed.
        image.close()
    if turn is not None:
        display = display.transpose(turn)
    return _srgb(display, icc)


def _busy() -> RefusedImage:
    return RefusedImage(
        _(
            "Other photos are being processed at this moment. Wait a minute and upload this one again."
        )
    )


def prepare_photo(data: bytes) -> Picture:
    """Check an uploaded file and return it re-encoded, or raise RefusedImage with the reason."""
    image = _checked(data)
    if not _decoding.acquire(timeout=DECODE_WAIT_SECONDS):
        image.close()
        raise _busy()
    try:
        display = _display_image(image)
        content, width, height = _jpeg(display, DISPLAY_SIZE)
        thumb, thumb_width, thumb_height = _jpeg(display, THUMBNAIL_SIZE)
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise _damaged() from error
    finally:
        _decoding.release()
        del image
        if _trim is not None:
            # glibc keeps freed memory in its arenas; give it back to the system.
            _trim(0)
    return Picture(content, width, height, thumb, thumb_width, thumb_height)
