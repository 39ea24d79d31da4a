"""The ward (tenant) and the reference lists each ward keeps: groups, areas, categories, units."""

from __future__ import annotations

from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.city.models import Province
from dialogue.core.db import TimestampMixin, TitledEnum, enum_column
from dialogue.core.search import SearchableMixin
from dialogue.extensions import db

if TYPE_CHECKING:
    from dialogue.people.models import Person


class WardKind(TitledEnum):
    WARD = "phuong"
    COMMUNE = "xa"
    SPECIAL_ZONE = "dac_khu"

    @property
    def title(self) -> str:
        return {
            WardKind.WARD: _l("Ward (phường)"),
            WardKind.COMMUNE: _l("Commune (xã)"),
            WardKind.SPECIAL_ZONE: _l("Special zone (đặc khu)"),
        }[self]

    @property
    def word(self) -> str:
        """The Vietnamese word that precedes the ward's name in documents."""
        return {WardKind.WARD: "phường", WardKind.COMMUNE: "xã", WardKind.SPECIAL_ZONE: "đặc khu"}[
            self
        ]


class Ward(SearchableMixin, TimestampMixin, db.Model):
    __tablename__ = "wards"
    __audited__ = True
    # Residents find their ward on the public home by name, kind or province, accents or not;
    # the name comes first, so that lists sorted by this text are in alphabetical order.
    __searchable__ = ("name", "province", "full_name")

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    kind: Mapped[WardKind] = mapped_column(
        enum_column(WardKind, "ward_kind"), default=WardKind.WARD
    )
    # The province as the ward writes it (documents, the public search); the record below is
    # the one the province's officers see the ward under, assigned by an administrator.
    province: Mapped[str] = mapped_column(sa.String(120), default="")
    province_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("provinces.id", ondelete="SET NULL"), index=True
    )
    # Optional first header line of documents, above the issuing agency (one line per row).
    parent_agency: Mapped[str] = mapped_column(sa.String(200), default="")
    place_name: Mapped[str] = mapped_column(sa.String(120))
    issuer_code: Mapped[str] = mapped_column(sa.String(20), default="UBND")
    timezone: Mapped[str] = mapped_column(sa.String(60), default="Asia/Ho_Chi_Minh")
    address: Mapped[str] = mapped_column(sa.String(255), default="")
    is_active: Mapped[bool] = mapped_column(default=True)
    # Residents' pages and documents name speakers only when the ward chooses so; otherwise
    # a turn reads "Công dân tổ dân phố số 9".
    shows_speaker_names: Mapped[bool] = mapped_column(default=False)
    # The same choice for the minutes and the conclusion notice (and so their published copies):
    # a ward may name speakers in its official record while screens keep them anonymous.
    names_speakers_in_documents: Mapped[bool] = mapped_column(default=False)
    # Answers' ratings are shown to the public only from this many ratings of one answer on,
    # so that one person's judgement does not stand for "the residents" (0: always shown).
    rating_public_minimum: Mapped[int] = mapped_column(default=3)
    # The conclusion notice says in a short paragraph what the survey found.
    notice_includes_satisfaction: Mapped[bool] = mapped_column(default=True)

    province_record: Mapped[Province | None] = relationship(back_populates="wards")
    residential_groups: Mapped[list[ResidentialGroup]] = relationship(
        back_populates="ward",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ResidentialGroup.number",
    )
    procedure_areas: Mapped[list[ProcedureArea]] = relationship(
        back_populates="ward",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ProcedureArea.position",
    )
    delegate_categories: Mapped[list[DelegateCategory]] = relationship(
        back_populates="ward",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="DelegateCategory.position",
    )
    units: Mapped[list[Unit]] = relationship(
        back_populates="ward",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="Unit.name",
    )

    @property
    def _kind_word(self) -> str:
        # A new ward has no kind until the column default applies at the INSERT; its search
        # text is made before that, at the flush.
        return (self.kind or WardKind.WARD).word

    @property
    def full_name(self) -> str:
        """The ward's name with its kind, as in a sentence: "phường Thạch Bàn"."""
        return f"{self._kind_word} {self.name}"

    @property
    def display_name(self) -> str:
        return f"{self._kind_word.capitalize()} {self.name}"

    @property
    def agency_lines(self) -> list[str]:
        """The issuing agency as the header of an official document writes it."""
        return ["ỦY BAN NHÂN DÂN", f"{self._kind_word} {self.name}".upper()]

    def __repr__(self) -> str:
        return f"<Ward {self.id} {self.display_name}>"


class WardScopedMixin:
    """A record that belongs to one ward."""

    ward_id: Mapped[int] = mapped_column(sa.ForeignKey("wards.id", ondelete="CASCADE"), index=True)


class ResidentialGroup(WardScopedMixin, TimestampMixin, db.Model):
    __tablename__ = "residential_groups"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("ward_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int]
    name: Mapped[str] = mapped_column(sa.String(120))
    head_name: Mapped[str] = mapped_column(sa.String(120), default="")

    ward: Mapped[Ward] = relationship(back_populates="residential_groups")
    people: Mapped[list[Person]] = relationship(back_populates="residential_group")

    def __repr__(self) -> str:
        return f"<ResidentialGroup {self.id} {self.name!r}>"


class ProcedureArea(WardScopedMixin, TimestampMixin, db.Model):
    __tablename__ = "procedure_areas"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("ward_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    name_vi: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    group_vi: Mapped[str] = mapped_column(sa.String(120), default="")
    group_en: Mapped[str] = mapped_column(sa.String(120), default="")
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    ward: Mapped[Ward] = relationship(back_populates="procedure_areas")

    def name_for(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi

    def __repr__(self) -> str:
        return f"<ProcedureArea {self.id} {self.code}>"


class DelegateCategory(WardScopedMixin, TimestampMixin, db.Model):
    __tablename__ = "delegate_categories"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("ward_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    name_vi: Mapped[str] = mapped_column(sa.String(200))
    name_en: Mapped[str] = mapped_column(sa.String(200), default="")
    position: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)

    ward: Mapped[Ward] = relationship(back_populates="delegate_categories")
    people: Mapped[list[Person]] = relationship(back_populates="delegate_category")

    def name_for(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_vi

    def __repr__(self) -> str:
        return f"<DelegateCategory {self.id} {self.code}>"


class Unit(WardScopedMixin, TimestampMixin, db.Model):
    """A ward office or department that answers questions."""

    __tablename__ = "units"
    __audited__ = True
    __table_args__ = (sa.UniqueConstraint("ward_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    short_name: Mapped[str] = mapped_column(sa.String(60), default="")
    head_name: Mapped[str] = mapped_column(sa.String(120), default="")
    is_active: Mapped[bool] = mapped_column(default=True)

    ward: Mapped[Ward] = relationship(back_populates="units")

    def __repr__(self) -> str:
        return f"<Unit {self.id} {self.name!r}>"
