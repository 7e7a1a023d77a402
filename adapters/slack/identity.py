"""Who a Slack member is: name, time zone and whether they are a workspace admin (users.info).

Workspace admins and owners are copbot admins by default, and a member's Slack time zone is
used wherever they have not set one in copbot; both come from users.info. Answers are cached
for a while per workspace and member (a process-local cache is enough: it only saves API calls),
and ``user_change`` events replace an entry at once. When users.info fails (a missing scope, a
rate limit), the member is treated as a plain member with no time zone and the failure is logged:
nobody gains a role by accident.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_sdk.errors import SlackClientError
from slack_sdk.web.async_client import AsyncWebClient

from adapters.slack.errors import error_code
from bot.timezones import resolve_timezone

log = logging.getLogger(__name__)

TTL_SECONDS = 600.0
MAX_ENTRIES = 20_000


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    timezone: str | None
    admin: bool


def person_from_user(user: dict[str, Any]) -> Person:
    profile = user.get("profile") or {}
    name = (
        profile.get("display_name")
        or profile.get("real_name")
        or user.get("real_name")
        or user.get("name")
        or str(user.get("id", ""))
    )
    zone = user.get("tz")
    return Person(
        name=str(name),
        timezone=resolve_timezone(zone) if isinstance(zone, str) and zone else None,
        admin=bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner")),
    )


class Directory:
    """users.info with a cache; ``forget_team`` when a workspace uninstalls."""

    def __init__(
        self, *, ttl: float = TTL_SECONDS, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._ttl = ttl
        self._now = monotonic
        self._cache: OrderedDict[tuple[str, str], tuple[float, Person]] = OrderedDict()

    async def person(
        self, client: AsyncWebClient, team: str, user: str, *, fallback_name: str = ""
    ) -> Person:
        key = (team, user)
        hit = self._cache.get(key)
        if hit is not None and hit[0] > self._now():
            return hit[1]
        try:
            response = await client.users_info(user=user)
            found = person_from_user(response.get("user") or {})
        except SlackClientError as error:
            log.warning(
                "users.info failed for %s in workspace %s (%s): treating them as a member "
                "with no Slack time zone",
                user,
                team,
                error_code(error),
            )
            return Person(name=fallback_name or user, timezone=None, admin=False)
        self.remember(team, user, found)
        return found

    def remember(self, team: str, user: str, found: Person) -> None:
        self._cache[(team, user)] = (self._now() + self._ttl, found)
        self._cache.move_to_end((team, user))
        while len(self._cache) > MAX_ENTRIES:
            self._cache.popitem(last=False)

    def forget_team(self, team: str) -> None:
        for key in [k for k in self._cache if k[0] == team]:
            del self._cache[key]
