"""Thin command handlers: parse (done by the registry), call a service, return Replies."""

from __future__ import annotations

from bot.commands import (
    admin,
    expertise,
    lessons,
    profile,
    prompts,
    questions,
    roles,
    stats,
    workspace_admin,
)
from bot.commands.help import help_spec
from bot.registry import Registry


def build_registry() -> Registry:
    """Every command copbot understands, in one registry shared by all adapters."""
    registry = Registry(
        [
            *profile.specs(),
            *roles.specs(),
            *questions.specs(),
            *expertise.specs(),
            *admin.specs(),
            *lessons.specs(),
            *prompts.specs(),
            *stats.specs(),
            *workspace_admin.specs(),
        ]
    )
    registry.register(help_spec(registry))
    return registry
