"""Errors raised by the effects library; all are ValueErrors so callers can catch one type."""


class EffectsError(ValueError):
    """Base class for every error the effects library raises on bad input."""


class UnknownStyle(EffectsError):
    """The style name is not one of `effects.STYLES`."""


class InvalidParams(EffectsError):
    """A parameter is unknown, of the wrong type or out of its allowed range."""

    def __init__(self, message: str, param: str | None = None):
        super().__init__(message)
        self.param = param


class InvalidImage(EffectsError):
    """The image cannot be processed: empty, too small, unreadable, truncated or too large."""

    def __init__(self, message: str, code: str = "invalid_image"):
        super().__init__(message)
        self.code = code
