"""Diacritic-insensitive search, identical on SQLite and PostgreSQL.

Each searchable model keeps a folded copy of its searchable fields in ``search_text``,
refreshed before every flush; a search folds the term the same way and matches with LIKE.
"""

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from dialogue.core.text import fold, like_pattern


class SearchableMixin:
    __searchable__: tuple[str, ...] = ()

    search_text: Mapped[str] = mapped_column(sa.Text, default="", index=False)

    def refresh_search_text(self) -> None:
        self.search_text = " ".join(fold(getattr(self, name) or "") for name in self.__searchable__)


def search_condition(model, term: str):
    """Return a WHERE clause that keeps rows of ``model`` whose text holds every word of ``term``."""
    words = fold(term).split()
    return sa.and_(*(model.search_text.like(like_pattern(word), escape="\\") for word in words))


@event.listens_for(Session, "before_flush")
def _refresh_search_text(session, flush_context, instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        if isinstance(obj, SearchableMixin):
            obj.refresh_search_text()
