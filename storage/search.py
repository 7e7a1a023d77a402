"""Full-text search in the database itself: SQLite FTS5 (bm25) or PostgreSQL (tsvector + GIN).

One interface, the same behaviour on both: :func:`search` takes whatever a member typed and
returns lessons and resolved questions (with their accepted answers), best first. The index is
created by migration 0005 and kept current by triggers, so every writer (commands, imports,
/forget-me, cascades) keeps it right without calling anything here.

Why the query is built here, from words, never from the member's syntax:

- Arbitrary input must never reach the database as query syntax: ``"``, ``*``, ``NEAR``,
  ``OR``, ``:``, ``!`` mean something to FTS5 or ``to_tsquery``. Text is cut into word tokens
  (letters and digits only), each passed as a quoted FTS5 phrase or a bound
  ``plainto_tsquery`` parameter, so no input can raise a syntax error.
- Stop words are dropped with one list for both databases (bm25s' extended English list, which
  contains all of PostgreSQL's ``english`` stop words), so "how to" searches for nothing on
  either, and a query means the same words on both.
- Ranking every document that contains a common word is what makes full-text search slow at
  scale (FTS5 scores each match; PostgreSQL fetches each row). Each term's document count is
  probed (capped, so the probe is cheap); terms found in more than ``COMMON_DOCS`` documents
  are left out when rarer terms exist, and rarer terms are taken, rarest first, while the rows
  to score stay under ``MATCH_BUDGET``. A query made only of common words matches documents
  holding all of them among the newest ``MATCH_BUDGET`` documents of the workspace, ranked.
- FTS5's bm25 knows how rare a term is; PostgreSQL's ts_rank does not. On PostgreSQL the
  terms are grouped into up to three classes of similar rarity (BM25's idf from the probes)
  and ts_rank of each class is weighted by it, which gives PostgreSQL the same preference for
  rare words (tested on the deflection bench: without it PostgreSQL finds fewer answers).
- The first line of the text is its headline (a lesson's or a question's title): its words
  count double, and a document's title counts more than its tags, and those more than its body.

Every query filters on the workspace. Documents are keyed ``2 * id`` (lessons) and
``2 * id + 1`` (resolved questions) so a trigger finds a row without scanning.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from bm25s.stopwords import STOPWORDS_EN_PLUS
from sqlmodel import Session

from storage.models import UtcDateTime

__all__ = [
    "COMMON_DOCS",
    "KINDS",
    "MATCH_BUDGET",
    "Filters",
    "Hit",
    "Plan",
    "Terms",
    "index_size",
    "is_search_object",
    "search",
    "terms_of",
]

KINDS = ("lesson", "question")
STOPWORDS = frozenset(STOPWORDS_EN_PLUS)
MAX_TERMS = 64
MAX_TERM_LENGTH = 40
COMMON_DOCS = 1000
"""A term found in at least this many documents of the workspace is common."""
MATCH_BUDGET = 2500
"""At most about this many matching documents are scored for one query."""
RARE_PROBE = 200
"""PostgreSQL counts a term the statistics do not list as common up to this many documents."""
AND_TERMS = 4
TOTAL_EXACT = 5000
TITLE_WEIGHT, BODY_WEIGHT, TAGS_WEIGHT = 3.0, 1.0, 2.0
PG_WEIGHTS = "{0.1, 0.2, 0.4, 1.0}"  # D body, C unused, B tags, A title
PG_CONFIG = "english"
_WORD = re.compile(r"[^\W_]+")

SQLITE_OBJECTS = "search_fts"
PG_TABLE = "search_doc"


def is_search_object(name: str | None) -> bool:
    """True for the full-text index's own tables (FTS5 and its shadow tables, ``search_doc``).

    They are made by the migration in SQL the models cannot express, so the drift check between
    models and migrations leaves them out on purpose (see storage/migrate.py).
    """
    return bool(name) and (name == PG_TABLE or str(name).startswith(SQLITE_OBJECTS))


# -- the words of a query --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Terms:
    """The searchable words of a text: its headline's, then the rest's (no repeats)."""

    headline: tuple[str, ...] = ()
    rest: tuple[str, ...] = ()

    @property
    def all(self) -> tuple[str, ...]:
        return self.headline + self.rest

    def weight(self, term: str) -> float:
        return 2.0 if term in self.headline else 1.0

    def __bool__(self) -> bool:
        return bool(self.headline or self.rest)


def words(text: str) -> list[str]:
    """Lower-case word tokens (letters and digits), stop words and very long tokens removed."""
    return [
        w
        for w in _WORD.findall(text.lower())
        if w not in STOPWORDS and len(w) <= MAX_TERM_LENGTH and w.isprintable()
    ]


def terms_of(text: str) -> Terms:
    """The terms to search for: the first non-blank line's, then the others', at most 64."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    head: dict[str, None] = {}
    rest: dict[str, None] = {}
    if lines:
        head = dict.fromkeys(words(lines[0]))
        for line in lines[1:]:
            for w in words(line):
                if w not in head:
                    rest.setdefault(w, None)
    headline = tuple(head)[:MAX_TERMS]
    return Terms(headline, tuple(rest)[: MAX_TERMS - len(headline)])


# -- filters, hits, plans --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Filters:
    """What a result must also be: a kind, a tag, by a member (author, asker or accepted
    answerer), created (or resolved) since a time, or never some ids."""

    kinds: tuple[str, ...] = KINDS
    tag: str | None = None
    member_id: int | None = None
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Hit:
    """One result. ``score`` is higher for better and comparable only within one search."""

    kind: str
    ref_id: int
    score: float


@dataclass(frozen=True, slots=True)
class Plan:
    """How a query ran, for callers (similarity, messages) and the bench."""

    terms: Terms
    total_docs: int = 0
    doc_counts: dict[str, int] = field(default_factory=dict)
    used: tuple[str, ...] = ()
    mode: str = "none"  # none (nothing to search), rank, recent (common words only)
    floor: int | None = None  # recent: only documents from this key on (the newest ones)

    def idf(self, term: str) -> float:
        """BM25's idf of a term in this workspace (probe counts are capped at COMMON_DOCS)."""
        n = max(self.total_docs, 1)
        df = min(self.doc_counts.get(term, 0), n)
        return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


@dataclass(frozen=True, slots=True)
class Result:
    hits: list[Hit]
    plan: Plan


# -- the search ------------------------------------------------------------------------------------


def search(
    session: Session,
    workspace_id: int,
    text: str,
    *,
    filters: Filters | None = None,
    limit: int = 10,
) -> Result:
    """Lessons and resolved questions matching ``text`` in one workspace, best first.

    Never raises for any ``text``: a text without searchable words returns no hits with
    ``plan.mode == "none"`` so the caller can say why.
    """
    filters = filters or Filters()
    terms = terms_of(text)
    kinds = tuple(k for k in filters.kinds if k in KINDS)
    if not terms or not kinds or limit <= 0:
        return Result([], Plan(terms))
    backend: _Backend = _Postgres() if _is_postgres(session) else _Sqlite()
    total = _total_docs(session, workspace_id)
    counts = backend.doc_counts(session, workspace_id, terms.all, total)
    present = [t for t in terms.all if counts.get(t, 0) > 0]
    plan = Plan(terms, total, counts, mode="rank")
    if not present:  # words to search for, found nowhere
        return Result([], plan)
    used, mode = _choose(terms, present, counts, total)
    floor = backend.floor(session, workspace_id) if mode == "recent" else None
    plan = Plan(terms, total, counts, tuple(used), mode, floor)
    hits = backend.run(session, workspace_id, plan, filters, kinds, limit)
    return Result(hits, plan)


def _choose(
    terms: Terms, present: list[str], counts: dict[str, int], total: int
) -> tuple[list[str], str]:
    """Which terms to match on, and how (see the module docstring)."""
    if total <= MATCH_BUDGET:
        return present, "rank"
    rare = sorted(
        (t for t in present if counts[t] < COMMON_DOCS),
        key=lambda t: (counts[t] / terms.weight(t), present.index(t)),
    )
    chosen: list[str] = []
    load = 0
    for term in rare:
        if chosen and load + counts[term] > MATCH_BUDGET:
            break
        chosen.append(term)
        load += counts[term]
    if chosen:
        return [t for t in present if t in chosen], "rank"
    rarest = sorted(present, key=lambda t: (counts[t], present.index(t)))[:AND_TERMS]
    return [t for t in present if t in rarest], "recent"


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _total_docs(session: Session, workspace_id: int) -> int:
    """Documents in the workspace: exact up to ``TOTAL_EXACT``, estimated beyond (counting a
    hundred thousand rows costs more than the search; idf hardly moves with the exact value).
    The estimate is the index's rows (PostgreSQL: the planner's count; SQLite: the count) in
    the share of this workspace among the newest documents."""
    exact = int(
        session.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM (SELECT 1 FROM lesson WHERE workspace_id = :ws"
                " LIMIT :cap) l) + (SELECT count(*) FROM (SELECT 1 FROM question"
                " WHERE workspace_id = :ws AND status = 'resolved' LIMIT :cap) q)"
            ),
            {"ws": workspace_id, "cap": TOTAL_EXACT},
        ).scalar_one()
    )
    if exact < TOTAL_EXACT:
        return exact
    if _is_postgres(session):
        estimate = session.execute(
            sa.text("SELECT reltuples FROM pg_class WHERE relname = 'search_doc'")
        ).scalar_one_or_none()
        return max(exact, int(estimate or 0))
    return int(
        session.execute(
            sa.text(
                "SELECT (SELECT count(*) FROM lesson WHERE workspace_id = :ws)"
                " + (SELECT count(*) FROM question WHERE workspace_id = :ws"
                " AND status = 'resolved')"
            ),
            {"ws": workspace_id},
        ).scalar_one()
    )


def _filter_sql(filters: Filters, kinds: Sequence[str], kind_col: str) -> tuple[str, dict]:
    """SQL conditions (same text on both databases) for the filters, with their parameters."""
    clauses: list[str] = []
    params: dict[str, Any] = {}
    if tuple(kinds) != KINDS:
        clauses.append(f"{kind_col} = :kind")
        params["kind"] = kinds[0]
    if filters.tag:
        pattern = filters.tag.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        clauses.append(
            "(',' || replace(coalesce(l.tags, q.topics, ''), ' ', '') || ',') LIKE :tag ESCAPE '\\'"
        )
        params["tag"] = f"%,{pattern},%"
    if filters.member_id is not None:
        clauses.append(
            "(l.author_member_id = :member OR q.asker_member_id = :member OR a.member_id = :member)"
        )
        params["member"] = filters.member_id
    if filters.since is not None:
        clauses.append("coalesce(l.created_at, q.resolved_at, q.created_at) >= :since")
        params["since"] = filters.since
    return "".join(f" AND {c}" for c in clauses), params


_JOINS = (
    " LEFT JOIN lesson l ON {kind} = 'lesson' AND l.id = {ref}"
    " LEFT JOIN question q ON {kind} = 'question' AND q.id = {ref}"
    " LEFT JOIN answer a ON a.id = q.accepted_answer_id"
)


def _statement(sql: str, params: dict[str, Any]) -> sa.TextClause:
    statement = sa.text(sql)
    if "since" in params:
        statement = statement.bindparams(sa.bindparam("since", type_=UtcDateTime()))
    return statement


class _Backend:
    def doc_counts(
        self, session: Session, workspace_id: int, terms: Sequence[str], total: int
    ) -> dict:
        raise NotImplementedError

    def floor(self, session: Session, workspace_id: int) -> int | None:
        """The key of the MATCH_BUDGET-th newest document of the workspace (None if fewer)."""
        raise NotImplementedError

    def run(
        self,
        session: Session,
        workspace_id: int,
        plan: Plan,
        filters: Filters,
        kinds: Sequence[str],
        limit: int,
    ) -> list[Hit]:
        raise NotImplementedError


def _phrase(term: str) -> str:
    """A term as an FTS5 string: double quotes make any word, even NEAR or OR, a plain token."""
    return '"' + term.replace('"', '""') + '"'


class _Sqlite(_Backend):
    def doc_counts(
        self, session: Session, workspace_id: int, terms: Sequence[str], total: int
    ) -> dict:
        statement = sa.text(
            "SELECT count(*) FROM (SELECT 1 FROM search_fts WHERE search_fts MATCH :m"
            " AND workspace_id = :ws LIMIT :cap)"
        )
        return {
            t: int(
                session.execute(
                    statement, {"m": _phrase(t), "ws": workspace_id, "cap": COMMON_DOCS}
                ).scalar_one()
            )
            for t in terms
        }

    def floor(self, session: Session, workspace_id: int) -> int | None:
        return session.execute(
            sa.text(
                "SELECT rowid FROM search_fts WHERE workspace_id = :ws"
                " ORDER BY rowid DESC LIMIT 1 OFFSET :window"
            ),
            {"ws": workspace_id, "window": MATCH_BUDGET},
        ).scalar_one_or_none()

    def run(
        self,
        session: Session,
        workspace_id: int,
        plan: Plan,
        filters: Filters,
        kinds: Sequence[str],
        limit: int,
    ) -> list[Hit]:
        if plan.mode == "rank":
            # A headline term twice: FTS5's bm25 sums over phrases, so it counts double.
            phrases = [p for t in plan.used for p in [_phrase(t)] * int(plan.terms.weight(t))]
            match = " OR ".join(phrases)
        else:
            match = " AND ".join(_phrase(t) for t in plan.used)
        where, params = _filter_sql(filters, kinds, "f.kind")
        rank = f"bm25(search_fts, {TITLE_WEIGHT}, {BODY_WEIGHT}, {TAGS_WEIGHT})"
        if plan.floor is not None:
            where += " AND f.rowid > :floor"
            params["floor"] = plan.floor
        sql = (
            f"SELECT f.kind, f.ref_id, {rank} AS rank_value FROM search_fts f"
            + _JOINS.format(kind="f.kind", ref="f.ref_id")
            + f" WHERE search_fts MATCH :m AND f.workspace_id = :ws{where}"
            + " ORDER BY rank_value LIMIT :limit"
        )
        params |= {"m": match, "ws": workspace_id, "limit": limit}
        rows = session.execute(_statement(sql, params), params).all()
        return [Hit(str(kind), int(ref), -float(value)) for kind, ref, value in rows]


class _Postgres(_Backend):
    def doc_counts(
        self, session: Session, workspace_id: int, terms: Sequence[str], total: int
    ) -> dict:
        """Common terms from the planner's statistics (``most_common_elems`` of the vector
        column, kept by ANALYZE and autovacuum), scaled to the workspace; the others counted,
        capped at ``RARE_PROBE``. Counting a common term would fetch a thousand rows (as slow
        as the search itself); counting a rare one fetches a few. Without statistics yet (a new
        or small database) every term is counted, capped at ``COMMON_DOCS``."""
        rows = session.execute(
            sa.text(
                "WITH stats AS ("
                "  SELECT s.elem, s.freq FROM pg_stats p CROSS JOIN LATERAL unnest("
                "    CAST(CAST(p.most_common_elems AS text) AS text[]),"
                "    p.most_common_elem_freqs) AS s(elem, freq)"
                "  WHERE p.schemaname = current_schema() AND p.tablename = 'search_doc'"
                "    AND p.attname = 'vector'),"
                " has_stats AS (SELECT count(*) > 0 AS yes FROM stats),"
                " term_freq AS ("
                "  SELECT t.term, max(stats.freq) AS freq"
                "  FROM unnest(CAST(:terms AS text[])) AS t(term)"
                "  LEFT JOIN LATERAL unnest(tsvector_to_array("
                "    to_tsvector(CAST(:cfg AS regconfig), t.term))) AS l(lexeme) ON true"
                "  LEFT JOIN stats ON stats.elem = l.lexeme"
                "  GROUP BY t.term)"
                " SELECT tf.term, tf.freq, CASE WHEN tf.freq IS NOT NULL THEN -1 ELSE ("
                "  SELECT count(*) FROM (SELECT 1 FROM search_doc d WHERE d.workspace_id = :ws"
                "   AND d.vector @@ plainto_tsquery(CAST(:cfg AS regconfig), tf.term)"
                "   LIMIT CASE WHEN (SELECT yes FROM has_stats) THEN :rare ELSE :cap END) s)"
                " END FROM term_freq tf"
            ),
            {
                "ws": workspace_id,
                "terms": list(terms),
                "cap": COMMON_DOCS,
                "rare": RARE_PROBE,
                "cfg": PG_CONFIG,
            },
        ).all()
        return {
            str(term): int(count) if count >= 0 else max(1, round(float(freq) * total))
            for term, freq, count in rows
        }

    def floor(self, session: Session, workspace_id: int) -> int | None:
        return session.execute(
            sa.text(
                "SELECT doc_id FROM search_doc WHERE workspace_id = :ws"
                " ORDER BY doc_id DESC LIMIT 1 OFFSET :window"
            ),
            {"ws": workspace_id, "window": MATCH_BUDGET},
        ).scalar_one_or_none()

    @staticmethod
    def _query(terms: Sequence[str], joiner: str, prefix: str) -> tuple[str, dict[str, Any]]:
        """``plainto_tsquery(:t0) || plainto_tsquery(:t1)``: every term a bound parameter."""
        params = {f"{prefix}{i}": t for i, t in enumerate(terms)}
        parts = [f"plainto_tsquery(CAST(:cfg AS regconfig), :{name})" for name in params]
        return f" {joiner} ".join(parts), params

    def run(
        self,
        session: Session,
        workspace_id: int,
        plan: Plan,
        filters: Filters,
        kinds: Sequence[str],
        limit: int,
    ) -> list[Hit]:
        params: dict[str, Any] = {"ws": workspace_id, "limit": limit, "cfg": PG_CONFIG}
        joiner = "||" if plan.mode == "rank" else "&&"
        match, match_params = self._query(plan.used, joiner, "m")
        ranks = []
        for i, (group, weight) in enumerate(_rarity_classes(plan)):
            query, group_params = self._query(group, "||", f"g{i}_")
            params |= group_params
            ranks.append(f"{weight:.6f} * ts_rank(CAST(:weights AS real[]), d.vector, ({query}))")
        score, order = " + ".join(ranks), "score DESC, d.doc_id DESC"
        params["weights"] = PG_WEIGHTS
        params |= match_params
        where, filter_params = _filter_sql(filters, kinds, "d.kind")
        params |= filter_params
        if plan.floor is not None:
            where += " AND d.doc_id > :floor"
            params["floor"] = plan.floor
        sql = (
            f"SELECT d.kind, d.ref_id, {score} AS score FROM search_doc d"
            + _JOINS.format(kind="d.kind", ref="d.ref_id")
            + f" WHERE d.workspace_id = :ws AND d.vector @@ ({match}){where}"
            + f" ORDER BY {order} LIMIT :limit"
        )
        rows = session.execute(_statement(sql, params), params).all()
        return [Hit(str(kind), int(ref), float(s)) for kind, ref, s in rows]


def _rarity_classes(plan: Plan, classes: int = 3) -> list[tuple[list[str], float]]:
    """The used terms in up to three groups of similar weight (idf x headline), each with
    its mean weight: ts_rank per group, weighted, stands in for bm25's idf."""
    weighted = sorted(
        ((t, plan.idf(t) * plan.terms.weight(t)) for t in plan.used), key=lambda p: -p[1]
    )
    size = max(1, math.ceil(len(weighted) / classes))
    groups = [weighted[i : i + size] for i in range(0, len(weighted), size)]
    return [([t for t, _ in g], sum(w for _, w in g) / len(g)) for g in groups]


# -- which query words a document holds ---------------------------------------------------------


def doc_key(kind: str, ref_id: int) -> int:
    return ref_id * 2 + (1 if kind == "question" else 0)


def terms_in(session: Session, hits: Sequence[Hit], terms: Sequence[str]) -> dict[int, set[str]]:
    """For each hit (by :func:`doc_key`), the query terms its document contains, as the index
    itself matches them (its stemming), so a similarity built on it is the same on both
    databases."""
    keys = [doc_key(h.kind, h.ref_id) for h in hits]
    found: dict[int, set[str]] = {k: set() for k in keys}
    if not keys or not terms:
        return found
    if _is_postgres(session):
        rows = session.execute(
            sa.text(
                "SELECT d.doc_id, t.term FROM search_doc d"
                " CROSS JOIN unnest(CAST(:terms AS text[])) AS t(term)"
                " WHERE d.doc_id = ANY(CAST(:keys AS bigint[]))"
                " AND d.vector @@ plainto_tsquery(CAST(:cfg AS regconfig), t.term)"
            ),
            {"terms": list(terms), "keys": keys, "cfg": PG_CONFIG},
        ).all()
        for key, term in rows:
            found[int(key)].add(str(term))
        return found
    listed = ",".join(str(int(k)) for k in keys)
    for term in terms:
        rows = session.execute(
            sa.text(
                f"SELECT rowid FROM search_fts WHERE search_fts MATCH :m AND rowid IN ({listed})"
            ),
            {"m": _phrase(term)},
        ).all()
        for (key,) in rows:
            found[int(key)].add(term)
    return found


# -- housekeeping ----------------------------------------------------------------------------------


def index_size(session: Session) -> int:
    """Bytes the full-text index takes (all workspaces), for the bench and admins."""
    if _is_postgres(session):
        return int(
            session.execute(sa.text("SELECT pg_total_relation_size('search_doc')")).scalar_one()
        )
    try:
        return int(
            session.execute(
                sa.text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search_fts%'")
            ).scalar_one()
            or 0
        )
    except sa.exc.OperationalError:  # SQLite built without the dbstat table
        return 0


def analyze(session: Session) -> None:
    """Refresh the planner's statistics after a bulk import (PostgreSQL; SQLite's optimize)."""
    if _is_postgres(session):
        # Bulk inserts go to the GIN index's pending list, which every query scans until it
        # is merged (autovacuum does it eventually); merge it now, then refresh statistics.
        session.execute(sa.text("SELECT gin_clean_pending_list('ix_search_doc_vector')"))
        session.execute(sa.text("ANALYZE search_doc"))
    else:
        session.execute(sa.text("INSERT INTO search_fts(search_fts) VALUES ('optimize')"))
