"""The province or centrally run city whose wards are compared, and whose officers compare them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.core.db import TimestampMixin
from dialogue.extensions import db

if TYPE_CHECKING:
    from dialogue.wards.models import Ward


class Province(TimestampMixin, db.Model):
    """A province or centrally run city, such as "Thành phố Hà Nội", and its wards."""

    __tablename__ = "provinces"
    __audited__ = True

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)

    wards: Mapped[list[Ward]] = relationship(
        back_populates="province_record", order_by="Ward.name", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<Province {self.id} {self.name!r}>"
