from flask import Blueprint

bp = Blueprint("wards", __name__, url_prefix="/admin")
