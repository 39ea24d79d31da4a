"""Photos of a conference: the gallery, upload, caption, order, delete, and the images."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from dialogue.auth.access import login_required, role_required
from dialogue.auth.models import Role
from dialogue.conferences.models import Conference
from dialogue.core.forms import show_error
from dialogue.core.scoping import get_scoped_or_404
from dialogue.errors import DialogueError
from dialogue.extensions import db
from dialogue.photos import operations
from dialogue.photos.forms import CaptionForm, MoveForm, PhotoUploadForm
from dialogue.photos.imaging import MAX_BYTES, MIME_TYPE
from dialogue.photos.models import Photo

bp = Blueprint("photos", __name__)

# Staff browsers may keep an image a day; the ETag answers later checks with a 304.
STAFF_CACHE_CONTROL = "private, max-age=86400"
PANEL_PHOTOS = 4


@bp.app_template_global("can_edit_photos")
def _can_edit(conference: Conference) -> bool:
    return (
        current_user.is_authenticated
        and current_user.has_role(Role.ORGANISER)
        and operations.photos_editable(conference)
    )


@bp.app_template_global("conference_photos")
def conference_photos(conference: Conference) -> list[Photo]:
    """The conference's photos in their order (without their bytes), for its page's panel."""
    return operations.photos_of(conference)


def serve_photo(photo: Photo, *, thumbnail: bool, cache_control: str):
    """Send the bytes of ``photo`` as JPEG, with an ETag; a public route may call it too."""
    column = Photo.thumb if thumbnail else Photo.content
    data = db.session.scalar(sa.select(column).where(Photo.id == photo.id))
    response = make_response(data)
    response.headers["Content-Type"] = MIME_TYPE
    response.headers["Cache-Control"] = cache_control
    response.headers["Content-Disposition"] = (
        f'inline; filename="photo-{photo.id}{"-thumb" if thumbnail else ""}.jpg"'
    )
    response.set_etag(f"{photo.etag}-t" if thumbnail else photo.etag)
    return response.make_conditional(request)


def _frozen(conference: Conference):
    flash(operations.frozen_message(conference), "error")
    return redirect(url_for(".index", conference_id=conference.id))


@bp.route("/conferences/<int:conference_id>/photos")
@login_required
def index(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    return render_template(
        "photos/index.html",
        conference=conference,
        photos=operations.photos_of(conference),
        can_edit=_can_edit(conference),
    )


@bp.route("/conferences/<int:conference_id>/photos/new", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def upload(conference_id: int):
    conference = get_scoped_or_404(Conference, conference_id)
    if request.method == "GET" and not operations.photos_editable(conference):
        return _frozen(conference)
    form = PhotoUploadForm()
    if form.validate_on_submit():
        # Read one byte more than allowed: a larger file is refused before it is decoded.
        data = form.file.data.read(MAX_BYTES + 1)
        try:
            operations.add_photo(
                conference, data, caption=form.caption.data, uploaded_by=current_user
            )
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The photo has been added."), "success")
            return redirect(url_for(".index", conference_id=conference_id))
    status = 400 if form.errors else 200
    return render_template("photos/upload.html", conference=conference, form=form), status


@bp.route("/photos/<int:photo_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANISER)
def edit(photo_id: int):
    photo = get_scoped_or_404(Photo, photo_id)
    conference = photo.conference
    if request.method == "GET" and not operations.photos_editable(conference):
        return _frozen(conference)
    form = CaptionForm(obj=photo)
    if form.validate_on_submit():
        try:
            operations.change_caption(photo, form.caption.data)
        except DialogueError as error:
            show_error(form, error)
        else:
            db.session.commit()
            flash(_("The caption has been saved."), "success")
            return redirect(url_for(".index", conference_id=conference.id))
    status = 400 if form.errors else 200
    return render_template(
        "photos/edit.html", conference=conference, photo=photo, form=form
    ), status


@bp.route("/photos/<int:photo_id>/move", methods=["POST"])
@role_required(Role.ORGANISER)
def move(photo_id: int):
    photo = get_scoped_or_404(Photo, photo_id)
    conference = photo.conference
    form = MoveForm()
    if not form.validate_on_submit():
        flash(_("Choose up or down."), "error")
        return redirect(url_for(".index", conference_id=conference.id))
    try:
        operations.move_photo(photo, up=form.direction.data == "up")
    except DialogueError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
    return redirect(url_for(".index", conference_id=conference.id, _anchor=f"photo-{photo_id}"))


@bp.route("/photos/<int:photo_id>/delete", methods=["POST"])
@role_required(Role.ORGANISER)
def delete(photo_id: int):
    photo = get_scoped_or_404(Photo, photo_id)
    conference = photo.conference
    try:
        operations.delete_photo(photo)
    except DialogueError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        db.session.commit()
        flash(_("The photo has been deleted."), "success")
    return redirect(url_for(".index", conference_id=conference.id))


@bp.route("/photos/<int:photo_id>/image")
@login_required
def image(photo_id: int):
    photo = get_scoped_or_404(Photo, photo_id)
    return serve_photo(photo, thumbnail=False, cache_control=STAFF_CACHE_CONTROL)


@bp.route("/photos/<int:photo_id>/thumbnail")
@login_required
def thumbnail(photo_id: int):
    photo = get_scoped_or_404(Photo, photo_id)
    return serve_photo(photo, thumbnail=True, cache_control=STAFF_CACHE_CONTROL)
