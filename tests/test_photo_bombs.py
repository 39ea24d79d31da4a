"""Photo bombs: a small file that decodes huge, the same file again, many uploads at once.

A 190 KB PNG can declare 7000 × 7000 pixels with transparency, 196 MB once decoded; before
these checks such uploads, four at once, took a worker to 3.1 GB and left 2 GB behind. The
memory of uploads is measured here in a process of its own, running the application.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import hashlib
import io
import json
import os
import struct
import subprocess
import sys
import threading
import zlib
from pathlib import Path
from types import SimpleNamespace

import pytest
from flask_babel import force_locale
from PIL import Image, ImageChops, PngImagePlugin

from dialogue.auth.models import Role
from dialogue.extensions import db
from dialogue.photos import imaging
from dialogue.photos.imaging import RefusedImage, prepare_photo
from dialogue.photos.models import Photo
from tests.conftest import PASSWORD
from tests.test_photos import (
    all_photos,
    error_beside,
    input_value,
    jpeg,
    jpeg_from_camera,
    png,
    png_bomb,
    two_halves,
    upload,
)

ROOT = Path(__file__).resolve().parent.parent
BOMB_SIDE = 7000
# The largest image with transparency accepted (37.5 MP): 144 MB decoded.
BIG_SIDE = 6000
COLOUR = (30, 90, 160, 200)
# One decode at a time: the largest image decoded in the measurement is 6000 × 6000 RGBA,
# 144 MB as Pillow holds it, plus a few bands of rows, the display image and the JPEG
# encoders (about 40 MB measured). Two decodes at once would need 288 MB for their pixels
# alone, a bomb decoded and copied as before over 1 GB: either breaks this bound.
PEAK_GROWTH_BOUND_MB = 270
# What stays once the uploads are answered: the allocator's and Python's leftovers, not the
# decoded images (before: 2 GB).
AFTER_GROWTH_BOUND_MB = 40
# Refusing a file from its fingerprint or its header decodes nothing: less than one 8-bit
# plane of the big image (36 MB).
NOTHING_DECODED_BOUND_MB = 30

TOO_MANY_EN = (
    "The photo has too many pixels: 7000 × 7000 (49 megapixels), more than the 37.5 "
    "megapixels accepted for an image of this kind. Make it smaller and upload it again."
)
TOO_MANY_VI = (
    "Ảnh có quá nhiều điểm ảnh: 7000 × 7000 (49 megapixel), vượt quá 37,5 megapixel "
    "được chấp nhận với loại ảnh này. Hãy thu nhỏ ảnh rồi tải lên lại."
)
DUPLICATE = "This photo is already among the conference's photos."
BUSY = "Other photos are being processed at this moment. Wait a minute and upload this one again."


@functools.cache
def solid_png(width: int, height: int, colour: tuple[int, int, int, int] = COLOUR) -> bytes:
    """A valid PNG of one colour with transparency (RGBA, 8 bits): a tiny file, a huge image.

    Written row by row, so the test never holds the decoded image itself.
    """

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    row = b"\x00" + bytes(colour) * width
    compressor = zlib.compressobj(6)
    data = b"".join(compressor.compress(row) for _ in range(height)) + compressor.flush()
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


@functools.cache
def solid_jpeg(size: tuple[int, int], *, progressive: bool, subsampling: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(
        buffer, "JPEG", progressive=progressive, subsampling=subsampling, quality=90
    )
    return buffer.getvalue()


def blended(colour: tuple[int, int, int, int]) -> tuple[int, ...]:
    """``colour`` laid over white."""
    alpha = colour[3] / 255
    return tuple(round(c * alpha + 255 * (1 - alpha)) for c in colour[:3])


def near(actual, expected, tolerance: int = 4) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


@pytest.fixture
def app_config(app_config):
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def organiser(client, make_user, login):
    user = make_user(Role.ORGANISER)
    login(user)
    client.get("/locale", query_string={"locale": "en"})
    return user


def hold_every_decode() -> None:
    """Take every decoding turn of this process, as uploads being decoded would."""
    for _ in range(imaging.DECODES_AT_ONCE):
        assert imaging._decoding.acquire(timeout=30)


def give_back_every_decode() -> None:
    for _ in range(imaging.DECODES_AT_ONCE):
        imaging._decoding.release()


# -- the header decides before any pixel is decoded ----------------------------------------------


def test_the_bomb_is_small_but_huge():
    data = solid_png(BOMB_SIDE, BOMB_SIDE)
    assert len(data) < 250_000
    assert struct.unpack(">II", data[16:24]) == (BOMB_SIDE, BOMB_SIDE)
    # 196 MB once decoded: under the pixel limit, over the decoded-size limit.
    assert BOMB_SIDE**2 <= imaging.MAX_PIXELS < BOMB_SIDE**2 * 4


@pytest.mark.parametrize(("locale", "message"), [("en", TOO_MANY_EN), ("vi", TOO_MANY_VI)])
def test_too_many_pixels_is_said_beside_the_file(
    client, organiser, make_conference, locale, message
):
    conference = make_conference()
    client.get("/locale", query_string={"locale": locale})
    response = upload(client, conference, solid_png(BOMB_SIDE, BOMB_SIDE), caption="Bom ảnh")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert error_beside(page, "file") == message
    assert input_value(page, "caption") == "Bom ảnh"
    assert all_photos() == []


def test_pillows_own_guard_is_a_refusal_with_the_size(app):
    # 400 megapixels: Pillow's DecompressionBombError speaks first, and is turned into ours.
    with app.test_request_context(), force_locale("en"), pytest.raises(RefusedImage) as caught:
        prepare_photo(png_bomb(20000))
    assert caught.value.message.startswith(
        "The photo has too many pixels: 20000 × 20000 (400 megapixels), more than the 50 "
    )


def test_a_progressive_jpeg_counts_the_coefficients_its_decoder_keeps(app):
    # A progressive JPEG is decoded from all its coefficients at once, two bytes each:
    # 26 megapixels with colour at full size would need 156 MB, with colour at half size 78.
    size = (5200, 5000)
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(RefusedImage) as caught:
            prepare_photo(solid_jpeg(size, progressive=True, subsampling=0))
        assert "5200 × 5000 (26 megapixels), more than the 25 megapixels" in caught.value.message
        halved = prepare_photo(solid_jpeg(size, progressive=True, subsampling=2))
        baseline = prepare_photo(solid_jpeg(size, progressive=False, subsampling=0))
    assert (halved.width, halved.height) == (baseline.width, baseline.height) == (2000, 1923)


# -- the same file again ---------------------------------------------------------------------


def test_a_file_already_kept_is_refused_before_it_is_decoded(client, organiser, make_conference):
    conference = make_conference()
    bomb = solid_png(BOMB_SIDE, BOMB_SIDE)
    # A photo kept from this very file (as if it had been accepted under wider limits): were
    # the file looked at before its fingerprint, its pixels would be refused, not its return.
    picture = prepare_photo(jpeg(two_halves()))
    db.session.add(
        Photo(
            conference=conference,
            ward_id=conference.ward_id,
            caption="Đã có",
            position=1,
            width=picture.width,
            height=picture.height,
            thumb_width=picture.thumb_width,
            thumb_height=picture.thumb_height,
            byte_size=len(picture.content),
            content_sha256=picture.sha256,
            upload_sha256=hashlib.sha256(bomb).hexdigest(),
            content=picture.content,
            thumb=picture.thumb,
        )
    )
    db.session.commit()
    response = upload(client, conference, bomb)
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "file") == DUPLICATE
    assert len(all_photos()) == 1
    # Elsewhere the same file is new, and refused for what it is.
    response = upload(client, make_conference(), bomb)
    assert error_beside(response.get_data(as_text=True), "file") == TOO_MANY_EN


def test_the_same_pixels_in_another_file_are_refused_after_decoding(
    client, organiser, make_conference
):
    conference = make_conference()
    image = two_halves((320, 200))
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "Một tệp khác, cùng một ảnh")
    first, second = png(image), png(image, pnginfo=text)
    assert first != second
    assert upload(client, conference, first).status_code == 302
    response = upload(client, conference, second)
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "file") == DUPLICATE
    assert len(all_photos()) == 1


def test_an_accepted_photo_keeps_the_fingerprint_of_its_file(client, organiser, make_conference):
    conference = make_conference()
    original = jpeg_from_camera()
    assert upload(client, conference, original).status_code == 302
    [photo] = all_photos()
    assert photo.upload_sha256 == hashlib.sha256(original).hexdigest()
    assert (photo.width, photo.height) == (100, 300)
    assert photo.content_sha256 == hashlib.sha256(photo.content).hexdigest()


# -- decodes take turns --------------------------------------------------------------------------


def test_a_photo_waits_its_turn_to_be_decoded(app):
    data = jpeg(two_halves())
    pictures = []

    def decode():
        with app.test_request_context():
            pictures.append(prepare_photo(data))

    hold_every_decode()
    worker = threading.Thread(target=decode)
    try:
        worker.start()
        worker.join(timeout=1.0)
        # Neither refused nor decoded beside the others: waiting.
        assert worker.is_alive() and pictures == []
    finally:
        give_back_every_decode()
    worker.join(timeout=60)
    [picture] = pictures
    assert (picture.width, picture.height) == (300, 100)


def test_a_photo_that_waits_too_long_is_refused_with_a_try_again(
    client, organiser, make_conference, monkeypatch
):
    monkeypatch.setattr(imaging, "DECODE_WAIT_SECONDS", 0.2)
    conference = make_conference()
    data = jpeg(two_halves())
    hold_every_decode()
    try:
        response = upload(client, conference, data, caption="Chờ lâu")
    finally:
        give_back_every_decode()
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert error_beside(page, "file") == BUSY
    assert input_value(page, "caption") == "Chờ lâu"
    assert all_photos() == []
    assert upload(client, conference, data).status_code == 302


# -- a band of rows at a time is the same picture ---------------------------------------------


def noise(size, mode: str) -> Image.Image:
    bands = [Image.effect_noise(size, 60 + 20 * n) for n in range(len(mode))]
    return bands[0] if mode == "L" else Image.merge(mode, bands)


@pytest.mark.parametrize("mode", ["L", "RGB", "RGBA"])
def test_resampling_by_bands_matches_resampling_whole(mode):
    source = noise((2600, 2300), mode)
    size = imaging._fitted(source.size, imaging.DISPLAY_SIZE)
    flat = imaging._flattened(source.copy(), imaging._working_mode(source))
    expected = flat.resize(size, Image.Resampling.LANCZOS)
    shrunk = imaging._shrunk(source, size)
    assert shrunk.size == size == (2000, 1769) and shrunk.mode == expected.mode
    extrema = ImageChops.difference(expected, shrunk).getextrema()
    assert all(high <= 1 for _, high in (extrema if mode != "L" else [extrema]))


# -- memory, measured in a process of its own ----------------------------------------------------


def _memory_mb(key: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) // 1024
    raise LookupError(key)


def _at_once(clients, conference, files, caption: str) -> list:
    """Upload ``files[n]`` with ``clients[n]``, all at the same moment; return the answers."""
    start = threading.Barrier(len(files))
    answers: list = [None] * len(files)

    def send(number: int) -> None:
        start.wait()
        response = upload(clients[number], conference, files[number], caption=f"{caption} {number}")
        page = response.get_data(as_text=True)
        answers[number] = [
            response.status_code,
            error_beside(page, "file") if response.status_code == 400 else "",
        ]

    senders = [threading.Thread(target=send, args=(n,)) for n in range(len(files))]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()
    return answers


def _growth(baseline: int) -> dict:
    gc.collect()
    return {
        "peak_growth_mb": _memory_mb("VmHWM") - baseline,
        "after_growth_mb": _memory_mb("VmRSS") - baseline,
    }


def _reset_peak() -> None:
    # The peak starts again from here (or else counts from the start: a stricter bound).
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def _measure(config: dict) -> dict:
    """Upload ``config["files"]`` all at once through the application, twice; report RSS."""
    from dialogue import create_app

    app = create_app(config["app"])
    # Every upload here is to wait its turn, however busy the machine running the tests.
    imaging.DECODE_WAIT_SECONDS = 600
    conference = SimpleNamespace(id=config["conference_id"])
    files = [Path(name).read_bytes() for name in config["files"]]
    clients = []
    for _ in files:
        client = app.test_client()
        signed_in = client.post(
            "/auth/login", data={"username": config["username"], "password": PASSWORD}
        )
        assert signed_in.status_code == 302, signed_in.get_data(as_text=True)
        client.get("/locale", query_string={"locale": "en"})
        clients.append(client)
    # Every part (decoder, encoder, pages, connections, each thread's allocator) once through
    # before the baseline: as many small photos at once, and one refusal.
    small = [png(two_halves((1200 + n, 900))) for n in range(len(files))]
    assert {answer[0] for answer in _at_once(clients, conference, small, "Khởi động")} == {302}
    assert upload(clients[0], conference, png_bomb(20000)).status_code == 400
    # The baseline is the least the warmed process holds: a stricter one for both bounds.
    gc.collect()
    if imaging._trim is not None:
        imaging._trim(0)
    baseline = _memory_mb("VmRSS")
    _reset_peak()
    first = _at_once(clients, conference, files, "Ảnh")
    measured = {"baseline_mb": baseline, "first": {"answers": first, **_growth(baseline)}}
    # The same files again: the photos among them are refused from their bytes.
    _reset_peak()
    again = _at_once(clients, conference, files, "Lần nữa")
    measured["again"] = {"answers": again, **_growth(baseline)}
    return measured


def test_bombs_and_large_photos_at_once_stay_within_bounded_memory(
    app, app_config, make_user, make_conference, tmp_path
):
    user = make_user(Role.ORGANISER)
    conference = make_conference()
    colours = [(30, 90, 160, 200), (160, 30, 90, 200), (90, 160, 30, 200)]
    files = [solid_png(BIG_SIDE, BIG_SIDE, colour) for colour in colours]
    files += [solid_png(BOMB_SIDE, BOMB_SIDE, colour) for colour in colours]
    paths = []
    for number, data in enumerate(files):
        path = tmp_path / f"upload-{number}.png"
        path.write_bytes(data)
        paths.append(str(path))
    config = {
        "app": app_config,
        "username": user.username,
        "conference_id": conference.id,
        "files": paths,
    }
    db.session.commit()
    finished = subprocess.run(
        [sys.executable, __file__, json.dumps(config)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    measured = json.loads(finished.stdout.strip().splitlines()[-1])
    print(
        "photo uploads, RSS in MB: baseline",
        measured["baseline_mb"],
        *(
            f"{r}: peak {measured[r]['peak_growth_mb']:+}, after {measured[r]['after_growth_mb']:+}"
            for r in ("first", "again")
        ),
    )
    first, again = measured["first"], measured["again"]
    assert first["answers"] == [[302, ""]] * 3 + [[400, TOO_MANY_EN]] * 3
    assert again["answers"] == [[400, DUPLICATE]] * 3 + [[400, TOO_MANY_EN]] * 3
    assert first["peak_growth_mb"] < PEAK_GROWTH_BOUND_MB, measured
    assert first["after_growth_mb"] < AFTER_GROWTH_BOUND_MB, measured
    # Nothing decoded the second time: the peak hardly moves.
    assert again["peak_growth_mb"] < NOTHING_DECODED_BOUND_MB, measured
    assert again["after_growth_mb"] < AFTER_GROWTH_BOUND_MB, measured
    photos = all_photos()
    assert len(photos) == len(files) + 3
    for photo in photos[len(files) :]:
        assert (photo.width, photo.height) == (2000, 2000)
        stored = Image.open(io.BytesIO(photo.content)).convert("RGB")
        number = int(photo.caption.removeprefix("Ảnh "))
        assert near(stored.getpixel((1000, 1000)), blended(colours[number])), photo.caption


if __name__ == "__main__":
    print(json.dumps(_measure(json.loads(sys.argv[1]))))
