"""Pieces every feature shares: the model base, column types, time, text and scoping."""
