"""Ratings of answers: the residents' buttons on every page that shows an answer, the results."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("ratings", __name__)
