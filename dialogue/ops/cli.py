import click
from flask.cli import AppGroup

cli = AppGroup("dialogue", help="Dialogue administration commands.")
