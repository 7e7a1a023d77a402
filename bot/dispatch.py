"""The one door every command goes through, and the one error boundary.

An adapter hands over a neutral Command and gets back the Replies for the person who acted.
Errors the member caused come back as a one-line reply saying what to type instead; a platform
refusal comes back as its own safe message; anything else is logged with its context and
answered with a short apology and a reference the admin can find in the log. Each command's
storage work happens in units of work that commit whole or not at all, so an error never leaves
half-stored state behind.
"""

from __future__ import annotations

import logging
import uuid

from sqlmodel import Session

from bot.context import Context, Runtime
from bot.errors import PermissionDenied, UserError
from bot.model import Command, Reply, say
from bot.ports import ChatPortError
from bot.registry import Registry
from storage.models import Role
from storage.repos import members, workspaces

log = logging.getLogger(__name__)

MAX_COMMAND_TEXT = 4000
"""Nothing a member types is longer than this; Slack's own limit for slash-command text."""


class Dispatcher:
    def __init__(self, registry: Registry, runtime: Runtime) -> None:
        self.registry = registry
        self.runtime = runtime

    async def handle(self, command: Command) -> list[Reply]:
        """Run a command and return what to show the actor; never raises."""
        try:
            return await self._handle(command)
        except UserError as error:
            return [say(error.line())]
        except ChatPortError as error:
            log.warning(
                "platform refused during /%s in %s for %s: %s",
                command.name,
                command.actor.workspace,
                command.actor.user_id,
                error,
            )
            return [say(error.user_message)]
        except Exception:
            ref = uuid.uuid4().hex[:8]
            log.exception(
                "bug while handling /%s (ref %s) in workspace %s for user %s, text %r",
                command.name,
                ref,
                command.actor.workspace,
                command.actor.user_id,
                command.text[:200],
            )
            return [
                say(
                    "Sorry, something went wrong on copbot's side and nothing was changed. "
                    f"It has been logged (ref {ref}); please try again."
                )
            ]

    async def _handle(self, command: Command) -> list[Reply]:
        if len(command.text) > MAX_COMMAND_TEXT:
            raise UserError(
                f"That is {len(command.text):,} characters; copbot takes at most "
                f"{MAX_COMMAND_TEXT:,} in one command.",
                "Shorten it, or split it into a question and follow-ups in its thread.",
            )
        parsed = self.registry.parse(command.name, command.text)
        workspace_id, role = await self.runtime.db.run(self._identify, command)
        if role.rank < parsed.spec.role.rank:
            raise PermissionDenied(
                f"Only {parsed.spec.role.value}s can use /{parsed.spec.name}; you are a "
                f"{role.value} here.",
                "Ask an admin of this workspace if you need it.",
            )
        context = Context(
            command=command,
            args=parsed.args,
            runtime=self.runtime,
            workspace_id=workspace_id,
            role=role,
        )
        result = await parsed.spec.handler(context)
        return result if isinstance(result, list) else [result]

    def _identify(self, session: Session, command: Command) -> tuple[int, Role]:
        """The workspace's row id and the actor's effective role, in one short transaction."""
        actor = command.actor
        workspace = workspaces.get_or_create(
            session,
            actor.platform.value,
            actor.workspace.key,
            default_timezone=self.runtime.settings.default_timezone,
        )
        assert workspace.id is not None
        stored = members.role_of(session, workspace.id, actor.user_id)
        role = Role.ADMIN if actor.platform_admin else stored
        if actor.platform_facilitator and role.rank < Role.FACILITATOR.rank:
            role = Role.FACILITATOR
        return workspace.id, role
