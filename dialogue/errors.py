"""Domain errors: operations raise them, views and commands turn them into messages."""


class DialogueError(Exception):
    """Base of every error a user can be told about."""

    def __init__(self, message: str, *, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class ConfigurationError(DialogueError):
    """The environment does not allow the application to start."""


class InvalidTransition(DialogueError):
    """A conference cannot move from its state to the requested one."""


class ValidationFailed(DialogueError):
    """The input breaks a rule that only the database or the domain can check."""


class PermissionDenied(DialogueError):
    """The user may not do this."""
