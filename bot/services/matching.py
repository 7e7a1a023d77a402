"""Who could answer this? Candidates for a question, each with the reasons behind its score.

The score comes from what the community already knows about each member: declared topics,
learned (decaying) evidence from answers on the question's topics, and text relevance of the
question to their past answers when the ranker provides it. Reasons are written from the same
numbers, so "why you" is never a story told after the fact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session

from storage.models import Workspace
from storage.repos import expertise as expertise_repo
from storage.repos.expertise import DECLARED, LEARNED, decayed

DECLARED_WEIGHT = 1.0
# Among candidates within this fraction of the best score, fewer open and recent pings win.
LOAD_BAND = 0.25


@dataclass
class Candidate:
    member_id: int
    user_id: str
    name: str
    score: float = 0.0
    declared: list[str] = field(default_factory=list)
    answered: dict[str, int] = field(default_factory=dict)
    learned: dict[str, float] = field(default_factory=dict)

    def reasons(self) -> tuple[str, ...]:
        parts = []
        for topic, count in sorted(self.answered.items(), key=lambda kv: (-kv[1], kv[0])):
            noun = "question" if count == 1 else "questions"
            parts.append(f"answered {count} {noun} tagged {topic}")
        if self.declared:
            parts.append(f"declared {', '.join(sorted(self.declared))}")
        return tuple(parts)

    def why(self) -> str:
        reasons = self.reasons()
        return "you " + "; you ".join(reasons) if reasons else "you may know about it"


def candidates_for_topics(
    session: Session,
    workspace: Workspace,
    topics: list[str],
    now: datetime,
    exclude: set[int] = frozenset(),  # type: ignore[assignment]
) -> list[Candidate]:
    """Members with declared or learned expertise on any of ``topics``, best first."""
    assert workspace.id is not None
    by_member: dict[int, Candidate] = {}
    for row, member in expertise_repo.members_with_topics(session, workspace.id, topics):
        if member.id in exclude:
            continue
        assert member.id is not None
        candidate = by_member.setdefault(
            member.id,
            Candidate(member.id, member.user_id, member.display_name or member.user_id),
        )
        if row.source == DECLARED:
            candidate.declared.append(row.topic)
            candidate.score += DECLARED_WEIGHT
        elif row.source == LEARNED:
            weight = decayed(row.weight, row.updated_at, now, workspace.expertise_half_life_days)
            candidate.learned[row.topic] = weight
            candidate.answered[row.topic] = row.evidence_count
            candidate.score += weight
    return sorted(by_member.values(), key=lambda c: (-c.score, c.member_id))


def spread_load(
    ranked: list[Candidate], load: dict[int, tuple[int, int]], band: float = LOAD_BAND
) -> list[Candidate]:
    """Reorder only among similarly good candidates: within ``band`` of the best remaining
    score, the one with fewer open and then fewer recent pings goes first. A clearly better
    expert is never pushed below a weaker one, so spreading costs little quality."""
    remaining = list(ranked)
    ordered: list[Candidate] = []
    while remaining:
        best = remaining[0].score
        floor = best * (1 - band) if best > 0 else best
        peers = [c for c in remaining if c.score >= floor]
        pick = min(
            peers,
            key=lambda c: (load.get(c.member_id, (0, 0)), -c.score, c.member_id),
        )
        ordered.append(pick)
        remaining.remove(pick)
    return ordered
