"""Photos of a conference: checked, re-encoded without metadata, kept in the database."""
