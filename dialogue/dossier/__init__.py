"""The one-stop desk's dossier figures of a conference: raw counts, rates, balance checks."""
