"""Domain errors: a refused state change with a message a person can act on."""


class DomainError(Exception):
    """A state change that can't happen (duplicate, wrong state, limit). Nothing was written."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
