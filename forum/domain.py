"""The domain error services raise; views map its reasons onto form fields."""


class DomainError(Exception):
    """A rule was broken; `reasons` is a list of (field, message) pairs."""

    def __init__(self, *reasons: tuple[str | None, str]):
        super().__init__("; ".join(msg for _, msg in reasons))
        self.reasons = list(reasons)

    @property
    def message(self) -> str:
        """All reasons in one sentence."""
        return str(self)


class NotAllowed(DomainError):
    """The acting user may not do this (maps to 403)."""

    def __init__(self, message: str = "You are not allowed to do that."):
        super().__init__((None, message))
