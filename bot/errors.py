"""Errors a user can cause, as values the error boundary turns into one-line replies.

Anything that is not one of these is a bug: it is logged with its context and the member sees a
short apology with a reference, never a traceback.
"""

from __future__ import annotations


class UserError(Exception):
    """Something the member can fix by typing something else; ``hint`` says what."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(f"{message} {hint}" if hint else message)
        self.message = message
        self.hint = hint

    def line(self) -> str:
        return f"{self.message} {self.hint}" if self.hint else self.message


class UsageError(UserError):
    """The command was typed wrong: missing or malformed arguments, unknown command."""


class PermissionDenied(UserError):
    """The member's role may not use this command."""


class NotFound(UserError):
    """The thing named (a question id, a member) does not exist in this workspace."""


class Conflict(UserError):
    """The request is valid but the state forbids it (already claimed, already resolved)."""


class ConfigError(Exception):
    """A bad setting at start-up; the message names the variable and what it should be."""

    def __init__(self, variable: str, message: str) -> None:
        super().__init__(f"{variable}: {message}")
        self.variable = variable
