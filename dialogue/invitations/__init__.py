"""Inviting people to a conference: the invitation list and its letters (giấy mời)."""
