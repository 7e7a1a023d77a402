"""The search benches of ``bench/lessons.py``: ``search`` (latency at scale) and ``deflection``
(does /ask find the question the community linked?). Both run copbot's own code on a real,
freshly migrated database: SQLite, and PostgreSQL when its server binaries are installed (a
throwaway server on loopback, as the tests start; skipped with a visible note otherwise).

``search``: lessons are synthetic but made of real words: each takes a real question title of
the site and real sentences of its answers and questions, so term frequencies (and the very
common words, like "cardano" on the Cardano site) are those of a real community. Queries are
real question titles (common words and all) plus a fixed set of common-word queries ("how to",
"cardano", "cardano wallet"...). Latency is one ``/lessons`` search through copbot's service
(probe, search, load the rows), in its own transaction. Import time is ``copbot import
lessons``' code path (``lesson_transfer.import_data``) for the whole set, triggers included.

``deflection``: questions are replayed in time order into copbot as resolved questions with
their accepted (else best-scored) answer. Right before a question that the community linked
(PostLinks: related or duplicate) to an earlier one is asked, copbot searches with its text as
/ask would (title, then body) and we record the rank of the linked earlier question (other
questions linked to the same later one are skipped in that ranking). The baseline is plain
BM25 (bm25s, k1=1.2, b=0.75) on title + body of every earlier question, with the same tokens
copbot's routing uses. The similarity threshold for suggestions is chosen on this data (the
best share of linked questions shown minus share of unrelated questions shown); "unrelated"
are questions in no link at all, asked after the first 100, so their suggestions are the
wrong deflections (an upper bound: some may be real duplicates nobody linked).
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import bm25s
import numpy as np
import sqlalchemy as sa
from sqlmodel import Session

from bench.stackexchange import Site, load_site
from bot.services import lesson_search, lesson_transfer
from bot.services.text_analysis import tokenize
from storage import migrate
from storage import search as fts
from storage.db import Database
from storage.models import Answer, Question, Workspace

COMMON_QUERIES = (
    "how to",
    "how to create a wallet",
    "cardano",
    "cardano wallet",
    "transaction",
    "what is the best way to do this",
    "error",
    "node",
)
TEXT_LIMIT = 3900
BASELINE = "bm25 title+body (bm25s)"
SHIPPED = "copbot search (sqlite)"


# -- databases -------------------------------------------------------------------------------------


@contextmanager
def databases(want_postgres: bool) -> Iterator[dict[str, Callable[[str], Database]]]:
    """Factories of fresh migrated databases by name; PostgreSQL only if it can be started."""
    with tempfile.TemporaryDirectory(prefix="copbot-bench-") as folder:
        made: list[Database] = []

        def sqlite(name: str) -> Database:
            db = Database.from_url(f"sqlite:///{Path(folder) / name}.db")
            migrate.upgrade(db.engine)
            made.append(db)
            return db

        factories: dict[str, Callable[[str], Database]] = {"sqlite": sqlite}
        server_context = nullcontext(None)
        if want_postgres:
            from tests.fakes.postgres import find_pg_bin, running_server

            pg_bin = find_pg_bin()
            if pg_bin is None:
                print(
                    "NOTE: PostgreSQL server binaries not found: the PostgreSQL rows are skipped."
                )
            else:
                server_context = running_server(pg_bin)
        with server_context as server:
            if server is not None:

                def postgres(name: str) -> Database:
                    admin = sa.create_engine(server.url("postgres"), isolation_level="AUTOCOMMIT")
                    with admin.connect() as conn:
                        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
                    admin.dispose()
                    db = Database.from_url(server.url(name))
                    migrate.upgrade(db.engine)
                    made.append(db)
                    return db

                factories["postgres"] = postgres
            try:
                yield factories
            finally:
                for db in made:
                    db.dispose()


def settle(db: Database) -> None:
    """VACUUM ANALYZE after the bulk import, as autovacuum would do soon after one: otherwise
    it may start in the middle of the measurements (PostgreSQL; SQLite has nothing to do)."""
    if db.is_postgres:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))


def _workspace(db: Database, key: str) -> int:
    def make(session: Session) -> int:
        workspace = Workspace(platform="console", external_id=key)
        session.add(workspace)
        session.flush()
        return workspace.id or 0

    return db.run_sync(make)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    k = (len(ordered) - 1) * p / 100
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


# -- search latency --------------------------------------------------------------------------------


def _sentences(site: Site) -> list[str]:
    found: list[str] = []
    bodies = [a.body for a in site.answers] + [q.body for q in site.questions]
    for body in bodies:
        for part in re.split(r"(?<=[.!?])\s+|\n", body):
            part = part.strip()
            if 20 < len(part) < 300:
                found.append(part)
    return found


def synthetic_export(site: Site, count: int, seed: int = 7) -> dict:
    """``count`` lessons in the export format, made of the site's real titles and sentences."""
    rng = random.Random(seed)
    titles = [q.title for q in site.questions if q.title]
    tags = sorted(site.tags) or ["general"]
    sentences = _sentences(site)
    start = datetime(2024, 1, 1, tzinfo=UTC).timestamp()
    lessons = []
    for i in range(count):
        created = datetime.fromtimestamp(start + i * 600, tz=UTC).isoformat()

        def some(low: int, high: int) -> str:
            return " ".join(rng.choices(sentences, k=rng.randint(low, high)))[:TEXT_LIMIT]

        lessons.append(
            {
                "title": rng.choice(titles)[:200],
                "context": some(1, 3),
                "what_happened": some(1, 2),
                "learned": some(1, 3),
                "tags": rng.sample(tags, k=min(2, len(tags))),
                "author": f"u{i % 500}",
                "author_name": f"member {i % 500}",
                "source_link": None,
                "helpful_count": 0,
                "outdated_count": 0,
                "created_at": created,
                "updated_at": created,
                "review_at": None,
            }
        )
    return {
        "format": lesson_transfer.FORMAT,
        "version": lesson_transfer.VERSION,
        "workspace": {"platform": "console", "key": "bench"},
        "lessons": lessons,
    }


def query_mix(site: Site, count: int, seed: int = 11) -> list[tuple[str, bool]]:
    """(query, is_common) pairs: real titles, then the common-word queries, shuffled."""
    rng = random.Random(seed)
    titles = [q.title for q in site.questions if q.title]
    mix = [(t, False) for t in rng.sample(titles, k=min(count, len(titles)))]
    mix += [(q, True) for q in COMMON_QUERIES for _ in range(3)]
    rng.shuffle(mix)
    return mix


def run_search(args: argparse.Namespace) -> int:
    site = load_site(args.site_dir)
    sizes = sorted(args.sizes)
    mix = query_mix(site, args.queries)
    report: dict = {"sizes": sizes, "queries": len(mix), "databases": {}}
    with databases(not args.sqlite_only) as factories:
        for backend, factory in factories.items():
            rows = {}
            for size in sizes:
                db = factory(f"search_{size}")
                data = synthetic_export(site, size)
                began = time.perf_counter()
                db.run_sync(
                    lesson_transfer.import_data, "console", "bench", data, datetime.now(UTC)
                )
                imported = time.perf_counter() - began
                db.run_sync(fts.analyze)
                settle(db)
                workspace_id = db.run_sync(
                    lambda s: s.exec(sa.select(Workspace.id)).scalars().first()  # type: ignore[call-overload]
                )
                for query, _ in mix[:20]:  # warm the caches as a running bot would be
                    db.run_sync(lesson_search.run, workspace_id, query)
                all_ms: list[float] = []
                common_ms: list[float] = []
                modes: dict[str, int] = {}
                for query, common in mix:
                    began = time.perf_counter()
                    _found, plan = db.run_sync(lesson_search.run, workspace_id, query)
                    elapsed = (time.perf_counter() - began) * 1000
                    all_ms.append(elapsed)
                    if common:
                        common_ms.append(elapsed)
                    modes[plan.mode] = modes.get(plan.mode, 0) + 1
                size_bytes = db.run_sync(fts.index_size)
                rows[str(size)] = {
                    "import_s": imported,
                    "index_mb": size_bytes / 1e6,
                    "p50_ms": percentile(all_ms, 50),
                    "p95_ms": percentile(all_ms, 95),
                    "p99_ms": percentile(all_ms, 99),
                    "max_ms": max(all_ms),
                    "common_p95_ms": percentile(common_ms, 95),
                    "common_max_ms": max(common_ms),
                    "how_to_ms": statistics.median(
                        ms for (q, _), ms in zip(mix, all_ms, strict=True) if q == "how to"
                    ),
                    "modes": modes,
                }
                print(f"  {backend} {size:,}: done", flush=True)
            report["databases"][backend] = rows
    print(render_search(report))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def render_search(report: dict) -> str:
    head = (
        f"{'database':<9} {'lessons':>8} {'import s':>8} {'index MB':>8} {'p50 ms':>7} "
        f"{'p95 ms':>7} {'p99 ms':>7} {'max ms':>7} {'common p95':>10} {'how to':>7}"
    )
    lines = [f"== lessons search: {report['queries']} queries a size (real titles + common words)",
             head, "-" * len(head)]  # fmt: skip
    for backend, rows in report["databases"].items():
        for size, r in rows.items():
            lines.append(
                f"{backend:<9} {int(size):>8,} {r['import_s']:>8.1f} {r['index_mb']:>8.1f} "
                f"{r['p50_ms']:>7.1f} {r['p95_ms']:>7.1f} {r['p99_ms']:>7.1f} {r['max_ms']:>7.1f} "
                f"{r['common_p95_ms']:>10.1f} {r['how_to_ms']:>7.1f}"
            )
    lines.append("target: p95 < 50 ms at 100,000 lessons on both databases")
    return "\n".join(lines)


# -- deflection quality ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Pair:
    later: int
    earlier: int


def linked_pairs(site: Site) -> list[Pair]:
    """Distinct (later, earlier) question pairs of PostLinks (related or duplicate)."""
    questions = site.question_by_id
    pairs: set[tuple[int, int]] = set()
    for link in site.links:
        a, b = questions.get(link.post_id), questions.get(link.related_post_id)
        if a is None or b is None or a.id == b.id:
            continue
        later, earlier = (a, b) if (a.created, a.id) > (b.created, b.id) else (b, a)
        pairs.add((later.id, earlier.id))
    return [Pair(*p) for p in sorted(pairs)]


def ask_text(question) -> str:  # noqa: ANN001 - a bench.stackexchange.Question
    """What /ask would get: the title as its first line, then the body."""
    return f"{question.title}\n{question.body}"[:TEXT_LIMIT]


def best_answer(site: Site, question) -> object | None:  # noqa: ANN001
    accepted = site.accepted_answer(question)
    if accepted is not None:
        return accepted
    answers = site.answers_by_question.get(question.id, [])
    return max(answers, key=lambda a: (a.score, -a.id)) if answers else None


@dataclass
class Tally:
    queries: int = 0
    hit1: int = 0
    hit3: int = 0
    rr: float = 0.0

    def add(self, ranked: list[int], target: int, skip: set[int]) -> None:
        ranked = [d for d in ranked if d == target or d not in skip]
        self.queries += 1
        if target in ranked:
            rank = ranked.index(target) + 1
            self.hit1 += rank == 1
            self.hit3 += rank <= 3
            self.rr += 1 / rank

    def figures(self) -> dict[str, float]:
        n = self.queries or 1
        return {"hit@1": self.hit1 / n, "hit@3": self.hit3 / n, "mrr": self.rr / n,
                "queries": self.queries}  # fmt: skip


def baseline_ranking(site: Site, earlier: list, query) -> list[int]:  # noqa: ANN001
    corpus = [tokenize(f"{q.title}\n{q.body}") or [""] for q in earlier]
    index = bm25s.BM25(k1=1.2, b=0.75)
    index.index(corpus, show_progress=False)
    known = [t for t in tokenize(ask_text(query)) if t in index.vocab_dict]
    scores = index.get_scores(known) if known else np.zeros(len(earlier))
    order = sorted(range(len(earlier)), key=lambda i: (-scores[i], i))
    return [earlier[i].id for i in order[:50]]


def replay(site: Site, db: Database, targets: set[int], unrelated: set[int]) -> dict:
    """Insert questions in time order; search right before each target/unrelated question."""
    workspace_id = _workspace(db, "deflection")
    by_copbot: dict[int, int] = {}  # copbot question id -> site question id
    rankings: dict[int, list[tuple[int, float]]] = {}
    top_similarity: dict[int, float] = {}
    for question in site.questions:
        if question.id in targets or question.id in unrelated:

            def look(session: Session, text: str) -> list[tuple[int, float]]:
                found, _plan = lesson_search.run(
                    session, workspace_id, text, limit=50, with_similarity=True
                )
                return [(by_copbot[f.id], f.similarity) for f in found if f.id in by_copbot]

            ranked = db.run_sync(look, ask_text(question))
            rankings[question.id] = ranked
            top_similarity[question.id] = max((s for _, s in ranked[:3]), default=0.0)
        answer = best_answer(site, question)

        def insert(session: Session, question=question, answer=answer) -> int:  # noqa: ANN001
            row = Question(
                workspace_id=workspace_id,
                channel_id="c",
                text=ask_text(question),
                topics=",".join(question.tags)[:1000],
                status="resolved",
                created_at=question.created,
                resolved_at=question.created,
            )
            session.add(row)
            session.flush()
            if answer is not None:
                reply = Answer(
                    workspace_id=workspace_id,
                    question_id=row.id or 0,
                    text=answer.body[:TEXT_LIMIT],  # type: ignore[attr-defined]
                )
                session.add(reply)
                session.flush()
                row.accepted_answer_id = reply.id
                session.add(row)
            return row.id or 0

        by_copbot[db.run_sync(insert)] = question.id
    return {"rankings": rankings, "top_similarity": top_similarity}


def run_deflection(args: argparse.Namespace) -> int:
    site = load_site(args.site_dir)
    pairs = linked_pairs(site)
    if not pairs:
        print(f"no linked question pairs in {args.site_dir}")
        return 1
    linked_to: dict[int, set[int]] = {}
    for pair in pairs:
        linked_to.setdefault(pair.later, set()).add(pair.earlier)
    in_links = {p.later for p in pairs} | {p.earlier for p in pairs}
    unrelated = {q.id for q in site.questions[100:] if q.id not in in_links}
    position = {q.id: i for i, q in enumerate(site.questions)}
    tallies = {BASELINE: Tally()}
    replays: dict[str, dict] = {}
    with databases(not args.sqlite_only) as factories:
        for backend, factory in factories.items():
            replays[backend] = replay(site, factory("deflection"), set(linked_to), unrelated)
    for pair in pairs:
        query = site.question_by_id[pair.later]
        earlier = site.questions[: position[pair.later]]
        skip = linked_to[pair.later] - {pair.earlier}
        tallies[BASELINE].add(baseline_ranking(site, earlier, query), pair.earlier, skip)
        for backend, result in replays.items():
            name = f"copbot search ({backend})"
            ranked = [qid for qid, _ in result["rankings"][pair.later]]
            tallies.setdefault(name, Tally()).add(ranked, pair.earlier, skip)
    methods = {name: tally.figures() for name, tally in tallies.items()}
    shipped = replays["sqlite"]
    sweep = threshold_sweep(pairs, linked_to, shipped, unrelated)
    best = max(
        sweep, key=lambda row: (row["shown_linked"] - row["shown_unrelated"], row["threshold"])
    )
    current = min(sweep, key=lambda row: abs(row["threshold"] - lesson_search.SIMILARITY_THRESHOLD))
    report = {
        "methods": methods,
        "shipped": SHIPPED,
        "baseline": BASELINE,
        "pairs": len(pairs),
        "later_questions": len(linked_to),
        "unrelated_questions": len(unrelated),
        "ratio_hit@3": methods[SHIPPED]["hit@3"] / (methods[BASELINE]["hit@3"] or 1),
        "threshold": {
            "shipped": lesson_search.SIMILARITY_THRESHOLD,
            "best_on_this_data": best["threshold"],
            "at_shipped": current,
            "sweep": sweep,
        },
    }
    print(render_deflection(report))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    return 0


def threshold_sweep(pairs: list[Pair], linked_to: dict, shipped: dict, unrelated: set[int]) -> list:
    """For each threshold: linked earlier questions shown (top 3 and above it) and unrelated
    questions that would be shown a suggestion (wrong deflections)."""
    rows = []
    for step in range(10, 91, 5):
        threshold = step / 100
        shown = 0
        for pair in pairs:
            skip = linked_to[pair.later] - {pair.earlier}
            ranked = [(q, s) for q, s in shipped["rankings"][pair.later] if q not in skip][:3]
            shown += any(q == pair.earlier and s >= threshold for q, s in ranked)
        wrong = sum(shipped["top_similarity"][q] >= threshold for q in unrelated)
        rows.append({
            "threshold": threshold,
            "shown_linked": shown / len(pairs),
            "shown_unrelated": wrong / (len(unrelated) or 1),
            "wrong_deflections": wrong,
        })  # fmt: skip
    return rows


def render_deflection(report: dict) -> str:
    lines = [
        f"== deflection: {report['pairs']} linked pairs ({report['later_questions']} later "
        f"questions), {report['unrelated_questions']} unrelated questions",
        f"{'method':<28} {'hit@1':>6} {'hit@3':>6} {'MRR':>6}",
    ]
    for name, f in report["methods"].items():
        mark = " (shipped)" if name == report["shipped"] else ""
        lines.append(f"{name:<28} {f['hit@1']:>6.3f} {f['hit@3']:>6.3f} {f['mrr']:>6.3f}{mark}")
    lines.append(f"hit@3 ratio shipped / baseline: {report['ratio_hit@3']:.2f} (target >= 1.10)")
    lines.append("")
    lines.append(f"{'threshold':>9} {'linked shown':>12} {'unrelated shown':>15} {'wrong':>6}")
    for row in report["threshold"]["sweep"]:
        mark = (
            " <- shipped" if abs(row["threshold"] - report["threshold"]["shipped"]) < 1e-9 else ""
        )
        lines.append(
            f"{row['threshold']:>9.2f} {row['shown_linked']:>12.1%} "
            f"{row['shown_unrelated']:>15.1%} {row['wrong_deflections']:>6}{mark}"
        )
    lines.append(
        f"best threshold on this data (linked shown - unrelated shown): "
        f"{report['threshold']['best_on_this_data']:.2f}"
    )
    return "\n".join(lines)


# -- registration ----------------------------------------------------------------------------------


def add_search_command(subparsers: argparse._SubParsersAction) -> None:
    """Register ``search SITE_DIR [--sizes N ...] [--queries N] [--json PATH]``."""
    parser = subparsers.add_parser(
        "search", help="search latency over 10k and 100k lessons, SQLite and PostgreSQL"
    )
    parser.add_argument("site_dir", type=Path, help="a Stack Exchange site folder (Posts.xml)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--queries", type=int, default=300, help="real titles in the mix")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.set_defaults(run=run_search)


def add_deflection_command(subparsers: argparse._SubParsersAction) -> None:
    """Register ``deflection SITE_DIR [--json PATH]``."""
    parser = subparsers.add_parser(
        "deflection", help="does /ask find the earlier question the community linked?"
    )
    parser.add_argument("site_dir", type=Path, help="a Stack Exchange site folder with PostLinks")
    parser.add_argument("--sqlite-only", action="store_true", help="skip PostgreSQL")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.set_defaults(run=run_deflection)
