"""Pages for residents, without an account: a ward's conferences and their public notices."""
