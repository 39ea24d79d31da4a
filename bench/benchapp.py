"""The application as served in production, plus bare routes to measure against."""

import os
from pathlib import Path

from flask import Response, abort

from dialogue import create_app

app = create_app()


@app.get("/__bench/bare")
def bare():
    return "ok"


# Files whose bytes a bare route serves, read once at start: the "same bytes" a real route
# sends (the published PDF, the public minutes page), with nothing else around them.
_BARE_FILES = {
    name: (Path(path).read_bytes(), mimetype)
    for name, variable, mimetype in (
        ("pdf", "DIALOGUE_BENCH_PDF_FILE", "application/pdf"),
        ("html", "DIALOGUE_BENCH_HTML_FILE", "text/html; charset=utf-8"),
    )
    if (path := os.environ.get(variable, "").strip())
}


@app.get("/__bench/bytes/<name>")
def bare_bytes(name: str):
    if name not in _BARE_FILES:
        abort(404)
    data, mimetype = _BARE_FILES[name]
    return Response(data, mimetype=mimetype)
