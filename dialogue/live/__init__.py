"""The live session: speaking turns, their live fan-out, the projector and residents' feed."""
