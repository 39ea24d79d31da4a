"""The conference's satisfaction survey: residents' form, paper entry, results and exports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("feedback", __name__)
