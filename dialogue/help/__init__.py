"""The guides of each staff role ("Hướng dẫn") and the accessibility statement."""
