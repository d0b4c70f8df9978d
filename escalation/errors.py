class DomainError(Exception):
    """A refused domain action: the one error type services raise for the caller to show.

    Views turn it into a form error (on ``field`` when given) and the API into a 400.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
