"""The ward's figures across its conferences, for a chosen period."""
