"""Expertise commands: /expertise (add, remove, show) and /who-knows."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.context import Context
from bot.errors import UsageError
from bot.model import Items, Reply, Text, say
from bot.registry import CommandSpec, Kind, Param
from bot.services.ranking import Query, RankedMember
from bot.services.topics import split_topics, topics_in_text
from storage.models import Member, Workspace
from storage.repos import expertise as repo
from storage.repos import members
from storage.repos.expertise import DECLARED, decayed

MAX_TOPICS_AT_ONCE = 20
WHO_KNOWS_LIMIT = 5


async def show(ctx: Context) -> Reply:
    def load(session: Session) -> list[tuple[str, str, float, int]]:
        member = members.get(session, ctx.workspace_id, ctx.actor.user_id)
        if member is None:
            return []
        workspace = session.get(Workspace, ctx.workspace_id)
        assert workspace is not None
        now = ctx.runtime.clock.now()
        return [
            (
                e.topic,
                e.source,
                decayed(e.weight, e.updated_at, now, workspace.expertise_half_life_days),
                e.evidence_count,
            )
            for e in repo.for_member(session, member.id or 0)
        ]

    rows = await ctx.db.run(load)
    if not rows:
        return say(
            "You have no expertise recorded yet. Declare some with /expertise add postgres, "
            "kubernetes; answering questions adds more by itself."
        )
    declared = sorted(t for t, s, _, _ in rows if s == DECLARED)
    learned = sorted(
        ((t, w, n) for t, s, w, n in rows if s != DECLARED), key=lambda r: (-r[1], r[0])
    )
    lines = []
    if declared:
        lines.append(f"Declared: {', '.join(declared)}")
    for topic, weight, count in learned:
        noun = "answer" if count == 1 else "answers"
        lines.append(f"Learned: {topic} ({count} {noun}, weight {weight:.2f})")
    return Reply(blocks=(Text("*Your expertise*"), Items(tuple(lines))))


def _topics_from(ctx: Context, session: Session, raw: str) -> list[str]:
    known = repo.known_topics(session, ctx.workspace_id)
    topics = split_topics(raw, known, repo.aliases(session, ctx.workspace_id))
    if not topics:
        raise UsageError("Name at least one topic.", "Type: /expertise add postgres, kubernetes")
    if len(topics) > MAX_TOPICS_AT_ONCE:
        raise UsageError(f"That is {len(topics)} topics; add at most {MAX_TOPICS_AT_ONCE} at once.")
    return topics


async def add(ctx: Context) -> Reply:
    def store(session: Session) -> tuple[list[str], list[str]]:
        topics = _topics_from(ctx, session, ctx.args["topics"])
        member = members.get_or_create(
            session, ctx.workspace_id, ctx.actor.user_id, ctx.actor.display_name
        )
        added = repo.declare(
            session, ctx.workspace_id, member.id or 0, topics, ctx.runtime.clock.now()
        )
        return topics, added

    topics, added = await ctx.db.run(store)
    if not added:
        return say(f"You had already declared {', '.join(topics)}.")
    already = [t for t in topics if t not in added]
    note = f" (already had {', '.join(already)})" if already else ""
    return say(f"Added to your expertise: {', '.join(added)}{note}.")


async def remove(ctx: Context) -> Reply:
    def drop(session: Session) -> tuple[str, bool]:
        (topic,) = _topics_from(ctx, session, ctx.args["topic"])[:1]
        member = members.get(session, ctx.workspace_id, ctx.actor.user_id)
        return topic, bool(member) and repo.undeclare(session, member.id or 0, topic)

    topic, removed = await ctx.db.run(drop)
    if not removed:
        return say(f"'{topic}' is not among your declared topics. Type /expertise to see them.")
    return say(
        f"Removed {topic} from your declared expertise. What you learned by answering stays."
    )


async def who_knows(ctx: Context) -> Reply:
    query = ctx.args["query"]
    now = ctx.runtime.clock.now()

    def find(session: Session) -> tuple[list[str], list[tuple[RankedMember, Member]]]:
        workspace = session.get(Workspace, ctx.workspace_id)
        assert workspace is not None
        known = repo.known_topics(session, ctx.workspace_id)
        aliases = repo.aliases(session, ctx.workspace_id)
        topics = [t for t in split_topics(query, known, aliases) if t in known]
        topics = topics or topics_in_text(query, known, aliases)
        people = {
            str(m.id): m
            for m in session.exec(select(Member).where(Member.workspace_id == ctx.workspace_id))
        }
        ranked = ctx.runtime.experts.rank(
            session,
            workspace,
            Query(text=query, at=now, topics=tuple(topics)),
            list(people),
            load=None,
            now=now,
            k=len(people),
        )
        # Knowing is topic or text evidence; being active lately is not enough to be named.
        knowing = [
            r
            for r in ranked
            if r.contributions.get("topic", 0) > 0 or r.contributions.get("text", 0) > 0
        ]
        return topics, [(r, people[r.member]) for r in knowing[:WHO_KNOWS_LIMIT]]

    topics, ranked = await ctx.db.run(find)
    about = ", ".join(topics) if topics else f"'{clip(query)}'"
    if not ranked:
        return say(
            f"Nobody here has shown expertise on {about} yet. Members declare topics with "
            "/expertise add, and answering questions teaches copbot more."
        )
    lines = []
    for candidate, member in ranked:
        state = "" if member.available and not member.routing_opt_out else " (away)"
        reasons = [r for r in candidate.reasons if not r.startswith("moved down")]
        evidence = "; ".join(reasons).removeprefix("you ").replace("; you ", "; ")
        lines.append(f"@{member.display_name or member.user_id}{state}: {evidence}")
    return Reply(blocks=(Text(f"*Who knows {about}*"), Items(tuple(lines))))


def clip(text: str, limit: int = 60) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def specs() -> list[CommandSpec]:
    return [
        CommandSpec("expertise", "show your declared and learned expertise", show),
        CommandSpec(
            "expertise add",
            "declare topics you know about",
            add,
            params=(Param("topics", Kind.REST, max_length=1000),),
            examples=("/expertise add postgres, kubernetes",),
        ),
        CommandSpec(
            "expertise remove",
            "remove a declared topic",
            remove,
            params=(Param("topic", Kind.REST, max_length=100),),
            examples=("/expertise remove kubernetes",),
        ),
        CommandSpec(
            "who-knows",
            "find the members who know a topic or could answer a question",
            who_knows,
            params=(Param("query", Kind.REST, max_length=1000),),
            examples=("/who-knows postgres", "/who-knows why does vacuum stall on k8s?"),
        ),
    ]
