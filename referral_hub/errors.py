"""Domain errors: they say what went wrong, never which HTTP status it becomes (see problems.py)."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error a caller can cause; `detail` is safe to show (no PHI, no secrets)."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFound(DomainError):
    """No such object, or not one the caller may see (the two are never told apart)."""


class InvalidParameter(DomainError):
    """A query parameter or body field has a value that cannot be used."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"{name}: {reason}")
        self.name = name
        self.reason = reason


class PermissionDenied(DomainError):
    """The caller is known but its scopes or kind of organization do not allow the action."""


class DomainRuleViolation(DomainError):
    """The request is well formed but a domain rule refuses it."""
