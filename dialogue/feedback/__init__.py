"""Residents' judgement: ratings of the answers, the conference survey, support for questions."""
