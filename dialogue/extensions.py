"""Extensions, created unbound here and bound in the application factory."""

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from dialogue.core.db import Base

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
mail = Mail()


class _Limiter(Limiter):
    """flask-limiter's limiter, whose fallback state starts afresh with each application."""

    def init_app(self, app):
        # One limiter serves every application a process makes (tests make many): a new one
        # starts on its own storage, trusted until it fails, not in the memory fallback that
        # an earlier application's lost Redis left behind.
        self._storage_dead = False
        super().init_app(app)


# When the limits' store (Redis) cannot be reached, the same limits are counted in this process's
# memory (flask-limiter logs a warning as it switches, and goes back once Redis answers): a
# degraded limit, never an open door and never a 500. What still fails after that (a failed
# sign-in counted as Redis went away in the middle of the request) is logged, not raised.
limiter = _Limiter(
    key_func=get_remote_address,
    default_limits=[],
    in_memory_fallback_enabled=True,
    swallow_errors=True,
)
