"""What a command handler gets: the command, its parsed arguments and the services it may use."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.clock import Clock
from bot.config import Settings
from bot.model import Actor, Command, Place
from bot.ports import ChatPort
from bot.services.expert_index import ExpertIndex
from storage.db import Database
from storage.models import Role


@dataclass(frozen=True, slots=True)
class Runtime:
    """The long-lived parts, built once at the composition root."""

    db: Database
    port: ChatPort
    clock: Clock
    settings: Settings
    experts: ExpertIndex = field(default_factory=ExpertIndex)
    """Per-process expert rankers, one per workspace, brought up to date before each use."""


@dataclass(frozen=True, slots=True)
class Context:
    """One command being handled."""

    command: Command
    args: dict[str, Any]
    runtime: Runtime
    workspace_id: int
    role: Role

    @property
    def actor(self) -> Actor:
        return self.command.actor

    @property
    def place(self) -> Place:
        return self.command.place

    @property
    def db(self) -> Database:
        return self.runtime.db

    @property
    def port(self) -> ChatPort:
        return self.runtime.port
