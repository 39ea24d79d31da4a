from flask import Blueprint

bp = Blueprint("conferences", __name__, url_prefix="/conferences")
