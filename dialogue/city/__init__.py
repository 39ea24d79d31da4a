"""The city's view: a province (or centrally run city) compares the wards it deals with."""
