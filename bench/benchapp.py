"""The application as served in production, plus a bare route to measure against."""

from dialogue import create_app

app = create_app()


@app.get("/__bench/bare")
def bare():
    return "ok"
