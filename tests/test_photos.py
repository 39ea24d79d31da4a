"""Photos of a conference: re-encoding without metadata, refusals, order, serving, access."""

from __future__ import annotations

import functools
import hashlib
import html
import io
import re
import struct
import zlib

import pytest
import sqlalchemy as sa
from flask import render_template
from flask_babel import force_locale
from flask_login import login_user
from PIL import ExifTags, Image, ImageCms, PngImagePlugin
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from dialogue.auth.models import Role
from dialogue.conferences.models import ConferenceStatus
from dialogue.errors import ValidationFailed
from dialogue.extensions import db
from dialogue.photos import imaging, operations
from dialogue.photos.imaging import RefusedImage, prepare_photo
from dialogue.photos.models import Photo

BLUE = (0, 0, 255)
RED = (255, 0, 0)


# -- test images -------------------------------------------------------------------------------


def two_halves(size=(300, 100)) -> Image.Image:
    """Left half blue, right half red: shows which way a photo was turned."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (0, 0, size[0] // 2, size[1]))
    return image


def jpeg_from_camera() -> bytes:
    """A JPEG as a phone writes it: held upright (orientation 6), with GPS, XMP and a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneMaker"
    exif[ExifTags.Base.Model] = "SecretModel"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (21.0, 2.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (105.0, 55.0, 10.0)
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF>SecretXmp</rdf:RDF></x:xmpmeta>'
    buffer = io.BytesIO()
    two_halves().save(buffer, "JPEG", exif=exif, xmp=xmp, comment=b"SecretComment", quality=95)
    data = buffer.getvalue()
    opened = Image.open(io.BytesIO(data))
    assert opened.getexif().get_ifd(ExifTags.IFD.GPSInfo)[ExifTags.GPS.GPSLatitude]
    return data


def saved(image: Image.Image, kind: str, **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **params)
    return buffer.getvalue()


def png(image: Image.Image, **params) -> bytes:
    return saved(image, "PNG", **params)


def jpeg(image: Image.Image, **params) -> bytes:
    return saved(image, "JPEG", **params)


@functools.cache
def png_bomb(side: int = 20000) -> bytes:
    """A valid single-colour PNG of side × side pixels that compresses to a few KB."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    compressor = zlib.compressobj(9)
    row = b"\x00" + b"\x00" * (side // 8)  # filter byte, then 1-bit pixels
    data = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def error_beside(page: str, field: str) -> str:
    match = re.search(rf'<p class="error" id="{field}-error">(.*?)</p>', page, re.S)
    assert match, f"no error beside {field}"
    return html.unescape(match.group(1))


def input_value(page: str, name: str) -> str:
    match = re.search(rf'<input[^>]*name="{name}"[^>]*>', page)
    assert match, f"no input {name}"
    value = re.search(r'value="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else ""


def all_photos() -> list[Photo]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(Photo).order_by(Photo.position, Photo.id)))


@pytest.fixture
def app_config(app_config):
    # Messages are checked in English here; the Vietnamese catalogue has tests of its own.
    return {**app_config, "BABEL_DEFAULT_LOCALE": "en"}


@pytest.fixture
def organiser(client, make_user, login):
    user = make_user(Role.ORGANISER)
    login(user)
    client.get("/locale", query_string={"locale": "en"})
    return user


def upload(client, conference, data: bytes, *, filename="photo.jpg", caption="Toàn cảnh hội nghị"):
    # Encoded here, in memory: the test client would spool a large body to a file it never closes.
    boundary, body = encode_multipart(
        {"file": FileStorage(io.BytesIO(data), filename), "caption": caption}
    )
    return client.post(
        f"/conferences/{conference.id}/photos/new",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def add(conference, image: Image.Image, caption: str, user=None) -> Photo:
    photo = operations.add_photo(conference, jpeg(image), caption=caption, uploaded_by=user)
    db.session.commit()
    return photo


# -- re-encoding -------------------------------------------------------------------------------


def test_camera_jpeg_is_turned_upright_and_stripped(app):
    original = jpeg_from_camera()
    picture = prepare_photo(original)
    stored = opened(picture.content)
    assert stored.format == "JPEG"
    assert stored.size == (100, 300) == (picture.width, picture.height)
    # Orientation 6 turns the picture clockwise: the blue left half ends up on top.
    assert stored.getpixel((50, 40)) == pytest.approx(BLUE, abs=8)
    assert stored.getpixel((50, 260)) == pytest.approx(RED, abs=8)
    assert len(stored.getexif()) == 0
    assert not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
    assert not {"exif", "xmp", "icc_profile", "comment"} & set(stored.info)
    for secret in (b"Exif\x00\x00", b"PhoneMaker", b"SecretModel", b"SecretXmp", b"SecretComment"):
        assert secret not in picture.content and secret not in picture.thumb
    assert stored.info.get("progressive") == 1
    assert picture.content != original


def test_png_text_icc_and_transparency_are_dropped(app):
    image = Image.new("RGBA", (64, 32), (0, 128, 0, 255))
    image.paste((0, 0, 0, 0), (0, 0, 32, 32))
    text = PngImagePlugin.PngInfo()
    text.add_text("Comment", "SecretText")
    text.add_itxt("XML:com.adobe.xmp", "SecretXmp")
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    picture = prepare_photo(png(image, pnginfo=text, icc_profile=icc))
    stored = opened(picture.content)
    assert stored.mode == "RGB" and stored.size == (64, 32)
    assert not {"icc_profile", "exif", "xmp"} & set(stored.info)
    assert b"Secret" not in picture.content
    # Transparent pixels are laid on white.
    assert stored.getpixel((8, 16)) == pytest.approx((255, 255, 255), abs=8)
    assert stored.getpixel((56, 16)) == pytest.approx((0, 128, 0), abs=8)


def test_large_photos_are_made_smaller(app):
    picture = prepare_photo(jpeg(two_halves((3000, 1500))))
    assert (picture.width, picture.height) == (2000, 1000)
    assert (picture.thumb_width, picture.thumb_height) == (480, 240)
    assert opened(picture.thumb).size == (480, 240)
    small = prepare_photo(png(two_halves((200, 100))))
    assert (small.width, small.height) == (200, 100)  # never enlarged


def test_other_colour_modes_become_rgb(app):
    for image in (
        Image.new("L", (40, 30), 128),
        Image.new("CMYK", (40, 30), (0, 255, 255, 0)),
        Image.new("P", (40, 30), 3),
        Image.new("I;16", (40, 30), 65535),
    ):
        data = jpeg(image) if image.mode in {"L", "CMYK"} else png(image)
        stored = opened(prepare_photo(data).content)
        assert stored.mode == "RGB" and stored.size == (40, 30), image.mode
    white = opened(prepare_photo(png(Image.new("I;16", (10, 10), 65535))).content)
    assert white.getpixel((5, 5)) == pytest.approx((255, 255, 255), abs=2)


@pytest.mark.parametrize(
    ("name", "make", "words"),
    [
        ("empty", lambda: b"", "empty"),
        ("pdf renamed", lambda: b"%PDF-1.7\n1 0 obj << >> endobj\n%%EOF\n", "neither"),
        ("gif", lambda: saved(Image.new("RGB", (10, 10)), "GIF"), "neither"),
        (
            "svg",
            lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><rect width="9" height="9"/></svg>',
            "neither",
        ),
        ("webp", lambda: saved(Image.new("RGB", (10, 10)), "WEBP"), "neither"),
        ("bmp renamed", lambda: saved(Image.new("RGB", (10, 10)), "BMP"), "neither"),
        ("truncated jpeg", lambda: (data := jpeg_from_camera())[: len(data) // 2], "damaged"),
        (
            "truncated big jpeg",
            lambda: (data := jpeg(Image.effect_noise((800, 600), 40).convert("RGB")))[
                : len(data) - 200
            ],
            "damaged",
        ),
        (
            "truncated png",
            lambda: (data := png(Image.effect_noise((200, 200), 40)))[: len(data) // 2],
            "damaged",
        ),
        (
            "bad png crc",
            lambda: (data := png(Image.effect_noise((50, 50), 40)))[:60] + b"\x00" + data[61:],
            "damaged",
        ),
        ("jpeg header only", lambda: b"\xff\xd8\xff\xe0\x00\x10JFIF\x00", "damaged"),
        ("decompression bomb", png_bomb, "too many pixels"),
        (
            "too large",
            lambda: b"\x89PNG\r\n\x1a\n" + b"\x00" * imaging.MAX_BYTES,
            "larger than 10 MB",
        ),
    ],
)
def test_anything_else_is_refused(app, name, make, words):
    data = make()
    with app.test_request_context(), force_locale("en"), pytest.raises(RefusedImage) as caught:
        prepare_photo(data)
    assert words in caught.value.message, name
    assert caught.value.field == "file"


def test_the_bomb_is_small_but_huge():
    data = png_bomb()
    assert len(data) < 100_000
    assert struct.unpack(">II", data[16:24]) == (20000, 20000)


def test_a_moderate_bomb_between_the_limits_is_refused(app):
    # Above our limit but below twice it: Pillow only warns; we refuse.
    side = 7500  # 56 megapixels
    with pytest.raises(RefusedImage, match="too many pixels"):
        prepare_photo(png_bomb(side))


# -- upload through the page ---------------------------------------------------------------------


def test_organiser_uploads_a_photo_and_only_the_clean_copy_is_kept(
    client, organiser, make_conference
):
    conference = make_conference()
    original = jpeg_from_camera()
    response = upload(client, conference, original)
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/conferences/{conference.id}/photos")
    [photo] = all_photos()
    assert photo.caption == "Toàn cảnh hội nghị"
    assert (photo.width, photo.height, photo.position) == (100, 300, 1)
    assert photo.uploaded_by_id == organiser.id and photo.ward_id == conference.ward_id
    assert photo.content_sha256 == hashlib.sha256(photo.content).hexdigest()
    assert photo.byte_size == len(photo.content)
    assert photo.content != original and original not in photo.content
    assert photo.content_sha256 != hashlib.sha256(original).hexdigest()
    stored = opened(photo.content)
    assert not stored.getexif() and b"PhoneMaker" not in photo.content
    # No column of any photo row holds the uploaded bytes.
    row = db.session.execute(sa.select(Photo.__table__)).one()
    assert all(value != original for value in row)


@pytest.mark.parametrize(
    ("filename", "data", "words"),
    [
        ("agenda.jpg", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n", "neither"),
        ("empty.jpg", b"", "empty"),
        ("logo.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "neither"),
        ("bomb.png", None, "too many pixels"),
        ("big.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * (10 * 1024 * 1024), "larger than 10 MB"),
    ],
)
def test_refused_upload_says_why_beside_the_file_and_keeps_the_caption(
    client, organiser, make_conference, filename, data, words
):
    conference = make_conference()
    data = png_bomb() if data is None else data
    response = upload(client, conference, data, filename=filename, caption="Đại biểu phát biểu")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert words in error_beside(page, "file")
    assert input_value(page, "caption") == "Đại biểu phát biểu"
    assert all_photos() == []


def test_truncated_jpeg_upload_is_refused(client, organiser, make_conference):
    conference = make_conference()
    data = jpeg_from_camera()
    response = upload(client, conference, data[: len(data) - 40])
    assert response.status_code == 400
    assert "damaged or incomplete" in error_beside(response.get_data(as_text=True), "file")


def test_caption_and_file_are_required(client, organiser, make_conference):
    conference = make_conference()
    response = upload(client, conference, jpeg(two_halves()), caption="   ")
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "caption") == "Write a caption."
    response = client.post(
        f"/conferences/{conference.id}/photos/new",
        data={"caption": "Không có tệp"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert error_beside(page, "file") == "Choose a photo."
    assert input_value(page, "caption") == "Không có tệp"
    assert all_photos() == []


def test_the_same_photo_twice_is_refused(client, organiser, make_conference):
    conference = make_conference()
    data = jpeg(two_halves())
    assert upload(client, conference, data).status_code == 302
    response = upload(client, conference, data, caption="Lần nữa")
    assert response.status_code == 400
    assert "already" in error_beside(response.get_data(as_text=True), "file")
    assert len(all_photos()) == 1


def test_a_conference_keeps_a_bounded_number_of_photos(app, make_conference, monkeypatch):
    monkeypatch.setattr(operations, "MAX_PHOTOS", 2)
    conference = make_conference()
    add(conference, two_halves((30, 20)), "Một")
    add(conference, two_halves((40, 20)), "Hai")
    with pytest.raises(ValidationFailed, match="at most 2 photos"):
        operations.add_photo(conference, jpeg(two_halves((50, 20))), caption="Ba", uploaded_by=None)


# -- serving -----------------------------------------------------------------------------------


def test_images_are_served_with_their_etag(client, organiser, make_conference):
    conference = make_conference()
    photo = add(conference, two_halves((1000, 800)), "Toàn cảnh")
    response = client.get(f"/photos/{photo.id}/image")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/jpeg"
    assert response.headers["Cache-Control"] == "private, max-age=86400"
    assert response.headers["ETag"] == f'"{photo.content_sha256}"'
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == photo.content
    again = client.get(
        f"/photos/{photo.id}/image", headers={"If-None-Match": response.headers["ETag"]}
    )
    assert again.status_code == 304 and again.data == b""

    thumb = client.get(f"/photos/{photo.id}/thumbnail")
    assert thumb.status_code == 200 and thumb.headers["Content-Type"] == "image/jpeg"
    assert thumb.headers["ETag"] != response.headers["ETag"]
    assert opened(thumb.data).size == (480, 384)


def test_gallery_lists_photos_in_order(client, organiser, make_conference):
    conference = make_conference()
    first = add(conference, two_halves((30, 20)), "Ảnh một")
    second = add(conference, two_halves((40, 20)), "Ảnh hai")
    page = client.get(f"/conferences/{conference.id}/photos").get_data(as_text=True)
    assert page.index("Ảnh một") < page.index("Ảnh hai")
    assert f"/photos/{first.id}/thumbnail" in page and f"/photos/{second.id}/image" in page
    assert 'alt="Ảnh hai"' in page


# -- caption, order, delete ----------------------------------------------------------------------


def test_caption_is_edited_and_bad_captions_are_kept(client, organiser, make_conference):
    conference = make_conference()
    photo = add(conference, two_halves(), "Cũ")
    assert client.get(f"/photos/{photo.id}/edit").status_code == 200
    response = client.post(f"/photos/{photo.id}/edit", data={"caption": "x" * 501})
    assert response.status_code == 400
    assert input_value(response.get_data(as_text=True), "caption") == "x" * 501
    response = client.post(f"/photos/{photo.id}/edit", data={"caption": "  Chủ tọa  kết luận "})
    assert response.status_code == 302
    assert all_photos()[0].caption == "Chủ tọa kết luận"


def test_photos_move_up_and_down(client, organiser, make_conference):
    conference = make_conference()
    one = add(conference, two_halves((30, 20)), "1").id
    two = add(conference, two_halves((40, 20)), "2").id
    three = add(conference, two_halves((50, 20)), "3").id

    def order():
        return [p.id for p in all_photos()]

    assert client.post(f"/photos/{three}/move", data={"direction": "up"}).status_code == 302
    assert order() == [one, three, two]
    client.post(f"/photos/{one}/move", data={"direction": "down"})
    assert order() == [three, one, two]
    client.post(f"/photos/{three}/move", data={"direction": "up"})  # already first
    assert order() == [three, one, two]
    response = client.post(f"/photos/{two}/move", data={"direction": "sideways"})
    assert response.status_code == 302 and order() == [three, one, two]
    assert client.post(f"/photos/{one}/delete").status_code == 302
    assert order() == [three, two]
    client.post(f"/photos/{two}/move", data={"direction": "up"})
    assert order() == [two, three]
    assert [p.position for p in all_photos()] == [1, 2]


@pytest.mark.parametrize("status", [ConferenceStatus.PUBLISHED, ConferenceStatus.CANCELLED])
def test_photos_of_a_frozen_conference_do_not_change(client, organiser, make_conference, status):
    conference = make_conference()
    photo = add(conference, two_halves(), "Ảnh")
    conference.status = status
    db.session.commit()
    assert client.get(f"/conferences/{conference.id}/photos/new").status_code == 302
    response = upload(client, conference, jpeg(two_halves((60, 20))), caption="Giữ lại")
    assert response.status_code == 400
    assert input_value(response.get_data(as_text=True), "caption") == "Giữ lại"
    assert "can no longer be changed" in response.get_data(as_text=True)
    assert client.post(f"/photos/{photo.id}/edit", data={"caption": "Mới"}).status_code == 400
    client.post(f"/photos/{photo.id}/delete")
    assert [p.caption for p in all_photos()] == ["Ảnh"]
    # Published photos are still served.
    assert client.get(f"/photos/{photo.id}/image").status_code == 200


def test_conference_panel_shows_thumbnails(app, make_user, make_conference):
    conference = make_conference()
    photo = add(conference, two_halves(), "Toàn cảnh")
    with app.test_request_context():
        login_user(make_user(Role.ORGANISER))
        panel = render_template("photos/_conference_panel.html", conference=conference)
    assert f"/photos/{photo.id}/thumbnail" in panel
    assert f"/conferences/{conference.id}/photos/new" in panel
    with app.test_request_context():
        login_user(make_user(Role.CHAIR))
        panel = render_template("photos/_conference_panel.html", conference=conference)
    assert "/photos/new" not in panel and "Toàn cảnh" in panel


# -- who may do what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SECRETARY, Role.CHAIR, Role.RESPONDER])
def test_other_staff_see_photos_but_do_not_change_them(
    client, make_user, login, make_conference, role
):
    conference = make_conference()
    photo = add(conference, two_halves(), "Ảnh")
    photo_id = photo.id
    login(make_user(role))
    page = client.get(f"/conferences/{conference.id}/photos")
    assert page.status_code == 200 and "/move" not in page.get_data(as_text=True)
    assert client.get(f"/photos/{photo_id}/image").status_code == 200
    assert client.get(f"/photos/{photo_id}/thumbnail").status_code == 200
    assert client.get(f"/conferences/{conference.id}/photos/new").status_code == 403
    assert upload(client, conference, jpeg(two_halves((70, 20)))).status_code == 403
    assert client.post(f"/photos/{photo_id}/edit", data={"caption": "x"}).status_code == 403
    assert client.post(f"/photos/{photo_id}/move", data={"direction": "up"}).status_code == 403
    assert client.post(f"/photos/{photo_id}/delete").status_code == 403
    assert [p.caption for p in all_photos()] == ["Ảnh"]


def test_anonymous_visitors_get_no_image(client, make_conference):
    conference = make_conference()
    photo = add(conference, two_halves(), "Ảnh")
    response = client.get(f"/photos/{photo.id}/image")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_administrator_may_upload(client, make_user, login, make_conference):
    conference = make_conference()
    login(make_user(Role.ADMINISTRATOR))
    assert upload(client, conference, jpeg(two_halves())).status_code == 302
    assert len(all_photos()) == 1


def test_another_wards_photos_are_missing(client, organiser, other_ward, make_conference):
    foreign = make_conference(ward=other_ward)
    photo = add(foreign, two_halves(), "Ảnh phường khác")
    photo_id = photo.id
    for url in (
        f"/conferences/{foreign.id}/photos",
        f"/conferences/{foreign.id}/photos/new",
        f"/photos/{photo_id}/image",
        f"/photos/{photo_id}/thumbnail",
        f"/photos/{photo_id}/edit",
    ):
        assert client.get(url).status_code == 404, url
    assert upload(client, foreign, jpeg(two_halves((80, 20)))).status_code == 404
    assert client.post(f"/photos/{photo_id}/edit", data={"caption": "x"}).status_code == 404
    assert client.post(f"/photos/{photo_id}/move", data={"direction": "up"}).status_code == 404
    assert client.post(f"/photos/{photo_id}/delete").status_code == 404
    assert [p.caption for p in all_photos()] == ["Ảnh phường khác"]
