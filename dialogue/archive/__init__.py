"""The public archive of a ward: its published minutes and notices, their PDFs, and search."""
