"""The numbers a record's key can be: a larger one in an address or a form is no record at all."""

# PostgreSQL's integer, the keys' type there (SQLite's go to 2**63 - 1). Asked for a larger
# number, PostgreSQL refuses the whole query, and SQLite's driver cannot even send it.
MAX_ID = 2**31 - 1


def is_storable(number: int) -> bool:
    """Tell whether ``number`` fits an integer column of both databases."""
    return -MAX_ID - 1 <= number <= MAX_ID
