"""The publication ledger: a hash chain per ward of every published version, for tamper evidence."""
