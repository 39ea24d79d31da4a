"""Questions residents send before or during a conference, and their moderation."""
