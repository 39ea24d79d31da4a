"""Staff accounts and their roles."""

from __future__ import annotations

import contextlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Mapped, mapped_column, relationship

from dialogue.city.models import Province
from dialogue.core.db import TimestampMixin, TitledEnum, UTCDateTime, enum_column, utcnow
from dialogue.extensions import db
from dialogue.wards.models import Unit, Ward

# argon2id with the library's RFC 9106 "low memory" defaults; tests use a cheap profile.
_hasher = PasswordHasher()
_dummy_hash: str | None = None


def configure_password_hashing(*, fast: bool) -> None:
    """Choose the argon2id cost: the real one, or a cheap one for tests."""
    global _hasher, _dummy_hash
    _hasher = (
        PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1) if fast else PasswordHasher()
    )
    _dummy_hash = None


def dummy_password_check() -> None:
    """Spend the time a real check takes, so unknown usernames are not told apart by timing."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_hex(8))
    with contextlib.suppress(VerificationError):
        _hasher.verify(_dummy_hash, "not the password")


class Role(TitledEnum):
    ADMINISTRATOR = "administrator"
    ORGANISER = "organiser"
    SECRETARY = "secretary"
    CHAIR = "chair"
    RESPONDER = "responder"
    # An officer of a province or centrally run city: reads its wards' figures, in no ward.
    CITY = "city"

    @property
    def title(self) -> str:
        return {
            Role.ADMINISTRATOR: _l("Administrator"),
            Role.ORGANISER: _l("Organiser"),
            Role.SECRETARY: _l("Secretary"),
            Role.CHAIR: _l("Chair"),
            Role.RESPONDER: _l("Responder"),
            Role.CITY: _l("City or province officer"),
        }[self]

    @property
    def is_ward_staff(self) -> bool:
        """Tell whether the role works in one ward (every role but the city officer's)."""
        return self is not Role.CITY


# The other units a responder also answers for, beside the unit of the account.
extra_unit_memberships = sa.Table(
    "extra_unit_memberships",
    db.Model.metadata,
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "unit_id", sa.ForeignKey("units.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)


def _new_login_token() -> str:
    return secrets.token_urlsafe(24)


class User(TimestampMixin, db.Model):
    __tablename__ = "users"
    __audited__ = True
    __audit_secret__ = frozenset({"password_hash", "login_token"})
    # Ward staff belong to one ward; a city officer to one province and to no ward.
    __table_args__ = (
        sa.CheckConstraint(
            "(role = 'city' AND ward_id IS NULL AND province_id IS NOT NULL)"
            " OR (role <> 'city' AND ward_id IS NOT NULL AND province_id IS NULL)",
            name="ward_or_province",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(60), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    # Where the account's notices go (questions referred to its unit, answers to approve).
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[Role] = mapped_column(enum_column(Role, "user_role"))
    unit_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    ward_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("wards.id", ondelete="CASCADE"), index=True
    )
    province_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("provinces.id", ondelete="RESTRICT"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    # An organiser the chair named to approve written answers in the chair's stead.
    approves_answers: Mapped[bool] = mapped_column(default=False)
    # Changing it signs the account out everywhere (new password, deactivation): a session
    # lives only while the token it began under is the account's (see UserSession).
    login_token: Mapped[str] = mapped_column(sa.String(64), unique=True, default=_new_login_token)
    last_login_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The ward an administrator last chose to work in, kept from one sign-in to the next.
    working_ward_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("wards.id", ondelete="SET NULL"), index=True
    )

    ward: Mapped[Ward | None] = relationship(foreign_keys="User.ward_id")
    province: Mapped[Province | None] = relationship()
    working_ward: Mapped[Ward | None] = relationship(foreign_keys=[working_ward_id])
    unit: Mapped[Unit | None] = relationship()
    extra_units: Mapped[list[Unit]] = relationship(
        secondary=extra_unit_memberships, order_by="Unit.name"
    )
    sessions: Mapped[list[UserSession]] = relationship(back_populates="user", passive_deletes=True)

    # Flask-Login protocol
    is_authenticated = True
    is_anonymous = False

    def get_id(self) -> str:
        # What Flask-Login stores first when it signs a user in; dialogue.auth.sessions then
        # stores the new session's secret token in its place, and only that token loads.
        return str(self.id)

    def set_password(self, password: str) -> None:
        self.password_hash = _hasher.hash(password)
        self.login_token = _new_login_token()

    def check_password(self, password: str) -> bool:
        try:
            _hasher.verify(self.password_hash, password)
        except (VerificationError, InvalidHashError):
            return False
        if _hasher.check_needs_rehash(self.password_hash):
            self.password_hash = _hasher.hash(password)
        return True

    @property
    def is_admin(self) -> bool:
        return self.role is Role.ADMINISTRATOR

    @property
    def is_city_officer(self) -> bool:
        return self.role is Role.CITY

    def has_role(self, *roles: Role) -> bool:
        """Tell whether the user holds one of ``roles``; an administrator holds them all."""
        return self.is_admin or self.role in roles

    @property
    def units(self) -> list[Unit]:
        """Every unit whose referred questions this account answers."""
        units = [self.unit] if self.unit is not None else []
        return units + [unit for unit in self.extra_units if unit not in units]

    @property
    def can_approve_answers(self) -> bool:
        """The chair approves written answers, or an organiser the chair named."""
        return self.has_role(Role.CHAIR) or (self.role is Role.ORGANISER and self.approves_answers)

    def can_manage_user(self, other: User) -> bool:
        return self.is_admin

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username} {self.role.value}>"


class UserSession(db.Model):
    """One signed-in browser: its cookies carry a random token whose SHA-256 is kept here.

    A session lives until it expires, is ended (sign-out, "sign out everywhere else", a new
    password) or the account's login token changes (a new password, deactivation).
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The account's login token when the session began or last renewed its secret.
    login_token: Mapped[str] = mapped_column(sa.String(64))
    # "Chrome · Windows": names of products, the same in every language; empty when unknown.
    device: Mapped[str] = mapped_column(sa.String(120), default="")
    ip_address: Mapped[str] = mapped_column(sa.String(45), default="")
    is_remembered: Mapped[bool] = mapped_column(default=False)
    created_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_dt: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_dt: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    revoked_dt: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(back_populates="sessions")

    def __repr__(self) -> str:
        return f"<UserSession {self.id} of user {self.user_id}>"
