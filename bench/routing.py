"""Routing benchmark: does copbot's expert ranker find the people who really answered?

Usage::

    python bench/routing.py SITE_DIR [--json PATH] [--skip-scale | --scale-only]

Protocol (replayed in time order, nothing from the future):

* Test questions: the last 20% of questions by creation time that got an answer from a known
  member. For each, the ranker sees only posts created before it, and ranks *every* member who
  had answered at least once before (the asker excluded; no sampled short lists).
* Gold: the members who answered it; also reported against the accepted answerer alone. Members
  who first answered after the question cannot be ranked from history; the coverage line says how
  many test questions have a gold member among the candidates. Metrics are averaged over all
  test questions (an uncovered question counts as a miss); the "covered" block divides by the
  covered ones instead, the convention of the reference numbers in the brief.
* Methods: random (seeded), most-active answerer, tag overlap, BM25 over per-member profiles,
  BM25 over past questions credited to their answerers, the best combination of those (a
  log-linear fit and a reciprocal-rank fusion), and the shipped ranker with load spreading off
  and on. Anything fitted (the combination baseline, the "refit" diagnostic) is fitted on the
  validation window (questions in the 40-80% range, the same windows the shipped defaults were
  fitted on), never on the test questions.
* Load: pings are each method's top 3 for every test question; load spreading sees, for each
  member, its own pings of the previous 7 days of the replay (open = the pinged member had not
  answered that question by the time of the new one). Reported: the share of pings received by
  the top 5% of the candidate pool (the most-pinged members), and a sweep over the load band.
* Latency: the shipped ranker's ``rank`` call per test question (k=10); plus a synthetic scale
  run (10,000 members, 100,000 past answers, fixed seed).

Caveat kept on purpose: scores and accepted flags in a dump are final values, so an answer's
"accepted" kind is known from the moment it was posted (acceptance usually follows within days).
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import bisect
import json
import math
import platform
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import bm25s
import numpy as np

from bench.stackexchange import Answer, Question, Site, load_site
from bot.services.ranking import (
    SIGNALS,
    Evidence,
    ExpertRanker,
    Load,
    Query,
    RankerConfig,
    load_penalty,
)
from bot.services.text_analysis import tokenize

SHIPPED = "copbot"
SHIPPED_LOAD = "copbot+load"
BASELINES = ("random", "most-active", "tag-overlap", "bm25-profile", "bm25-docs")
COMBO_FEATURES = ("most-active", "tag-overlap", "bm25-profile", "bm25-docs")
PING_TOP = 3
PING_WINDOW = timedelta(days=7)
TOP_SHARE = 0.05
LATENCY_K = 10
LOAD_BANDS = (0.0, 1.0, 2.0, 3.5, 5.0)


# --------------------------------------------------------------------------------- replay


@dataclass(slots=True)
class Case:
    """One evaluated question: who could be ranked, who really answered, and the scores."""

    question: Question
    window: str  # "validation" or "test"
    candidates: list[str]
    gold: set[str]
    accepted: str | None
    features: dict[str, np.ndarray] = field(default_factory=dict)  # baseline scores
    signals: np.ndarray | None = None  # shipped ranker's raw signals, for the refit diagnostic
    base: np.ndarray | None = None  # shipped ranker's scores without load, for the load sweep
    rankings: dict[str, list[str]] = field(default_factory=dict)  # method -> full ranking


def member_key(user_id: int | None) -> str | None:
    return None if user_id is None else str(user_id)


def answer_evidence(site: Site, answer: Answer) -> Evidence:
    """How a Stack Exchange answer becomes ranker evidence (the same a bot would record)."""
    question = site.question_by_id[answer.parent_id]
    accepted = question.accepted_answer_id == answer.id
    return Evidence(
        member=str(answer.owner_id),
        kind="accepted" if accepted else "answer",
        at=answer.created,
        text=f"{question.text}\n{answer.body}",
        topics=question.tags,
        title=question.title,
        asker=member_key(question.owner_id),
    )


def question_query(question: Question) -> Query:
    return Query(
        text=question.text,
        at=question.created,
        topics=question.tags,
        asker=member_key(question.owner_id),
    )


def known_answers(site: Site) -> list[Answer]:
    """Answers by known members to questions in the dump, in time order."""
    return [
        a for a in site.answers if a.owner_id is not None and a.parent_id in site.question_by_id
    ]


def window_questions(site: Site, lo: float, hi: float) -> list[Question]:
    """Questions in the [lo, hi) fraction of the site (by creation time) with a known answerer."""
    n = len(site.questions)
    chosen = site.questions[int(lo * n) : int(hi * n)]
    by_question = site.answers_by_question
    return [q for q in chosen if any(a.owner_id is not None for a in by_question.get(q.id, ()))]


class BaselineIndex:
    """Everything the baselines need, rebuilt from the answers posted before a given time."""

    def __init__(self, site: Site, answers: Sequence[Answer]) -> None:
        self.site = site
        self.answers = answers
        self.times = [a.created for a in answers]
        self.question_tokens = {q.id: tokenize(q.text) for q in site.questions}
        self.answer_tokens = {a.id: tokenize(a.body) for a in answers}

    def features(self, question: Question, candidates: list[str]) -> dict[str, np.ndarray]:
        site = self.site
        history = self.answers[: bisect.bisect_left(self.times, question.created)]
        position = {key: i for i, key in enumerate(candidates)}
        count = np.zeros(len(candidates))
        tags = np.zeros(len(candidates))
        docs = np.zeros(len(candidates))
        wanted = set(question.tags)
        profiles: dict[str, list[str]] = defaultdict(list)
        answerers: dict[int, list[int]] = defaultdict(list)
        for answer in history:
            i = position.get(str(answer.owner_id))
            if i is None:
                continue
            parent = site.question_by_id[answer.parent_id]
            count[i] += 1
            tags[i] += len(wanted.intersection(parent.tags))
            profiles[candidates[i]].extend(self.question_tokens[parent.id])
            profiles[candidates[i]].extend(self.answer_tokens[answer.id])
            answerers[parent.id].append(i)
        query = self.question_tokens[question.id]
        profile = _bm25_scores([profiles[key] for key in candidates], query)
        past = sorted(answerers)
        past_scores = _bm25_scores([self.question_tokens[qid] for qid in past], query)
        for qid, score in zip(past, past_scores, strict=True):
            for i in answerers[qid]:
                docs[i] += score
        return {
            "most-active": count,
            "tag-overlap": tags,
            "bm25-profile": profile,
            "bm25-docs": docs,
        }


def _bm25_scores(corpus: list[list[str]], query: list[str]) -> np.ndarray:
    """BM25 (bm25s, k1=1.2, b=0.75) of ``query`` against each document of ``corpus``."""
    if not corpus or not query or not any(corpus):
        return np.zeros(len(corpus))
    index = bm25s.BM25(k1=1.2, b=0.75)
    index.index([doc or [""] for doc in corpus], show_progress=False)
    known = [t for t in query if t in index.vocab_dict]
    if not known:
        return np.zeros(len(corpus))
    return index.get_scores(known).astype(np.float64)


def order_by(scores: np.ndarray, keys: list[str]) -> list[str]:
    """Members best first; ties broken by member key (as the shipped ranker does)."""
    return [keys[i] for i in sorted(range(len(keys)), key=lambda i: (-scores[i], keys[i]))]


# ------------------------------------------------------------------------------- fitting


def log_features(case: Case, names: Sequence[str]) -> np.ndarray:
    return np.stack([np.log1p(np.maximum(case.features[n], 0.0)) for n in names], axis=1)


def fit_loglinear(samples: list[tuple[np.ndarray, list[int]]], l2: float = 1e-2) -> np.ndarray:
    """Conditional-logit weights: maximise the softmax probability of the true answerers.

    Each sample is (candidate x feature matrix, indices of the gold candidates). Concave with
    the L2 term, so Newton's method with step halving converges in a handful of steps.
    """
    dim = samples[0][0].shape[1]
    weights = np.zeros(dim)

    def objective(w: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        value, grad, hess = 0.0, np.zeros(dim), np.zeros((dim, dim))
        for x, gold in samples:
            z = x @ w
            p = np.exp(z - z.max())
            p /= p.sum()
            mean = p @ x
            cov = (x * p[:, None]).T @ x - np.outer(mean, mean)
            share = 1.0 / len(gold)
            for g in gold:
                value += share * math.log(max(p[g], 1e-300))
                grad += share * (x[g] - mean)
            hess -= cov
        n = len(samples)
        return (
            value / n - l2 * float(w @ w) / 2,
            grad / n - l2 * w,
            hess / n - l2 * np.eye(dim),
        )

    value, grad, hess = objective(weights)
    for _ in range(50):
        step = np.linalg.solve(hess, -grad)
        scale = 1.0
        while True:
            new_value, new_grad, new_hess = objective(weights + scale * step)
            if new_value >= value - 1e-12 or scale < 1e-6:
                break
            scale /= 2
        weights = weights + scale * step
        done = abs(new_value - value) < 1e-9
        value, grad, hess = new_value, new_grad, new_hess
        if done:
            break
    return weights


def gold_indices(case: Case) -> list[int]:
    return [i for i, key in enumerate(case.candidates) if key in case.gold]


def reciprocal_rank_fusion(case: Case, names: Sequence[str], k: float = 60.0) -> np.ndarray:
    fused = np.zeros(len(case.candidates))
    for name in names:
        ranking = order_by(case.features[name], case.candidates)
        position = {key: r for r, key in enumerate(ranking, start=1)}
        fused += np.array([1.0 / (k + position[key]) for key in case.candidates])
    return fused


# ------------------------------------------------------------------------------- metrics


def first_hit(ranking: list[str], gold: set[str]) -> int | None:
    return next((r for r, key in enumerate(ranking, start=1) if key in gold), None)


def summarise(ranks: list[int | None]) -> dict[str, float]:
    n = len(ranks)
    if n == 0:
        return {"n": 0, "mrr": 0.0, "hit@1": 0.0, "hit@3": 0.0, "hit@10": 0.0}
    return {
        "n": n,
        "mrr": sum(1.0 / r for r in ranks if r) / n,
        "hit@1": sum(1 for r in ranks if r and r <= 1) / n,
        "hit@3": sum(1 for r in ranks if r and r <= 3) / n,
        "hit@10": sum(1 for r in ranks if r and r <= 10) / n,
    }


def evaluate(cases: list[Case], method: str) -> dict[str, object]:
    all_ranks = [first_hit(c.rankings[method], c.gold) for c in cases]
    covered = [r for r, c in zip(all_ranks, cases, strict=True) if c.gold & set(c.candidates)]
    accepted_cases = [c for c in cases if c.accepted is not None]
    accepted = [first_hit(c.rankings[method], {c.accepted}) for c in accepted_cases]  # type: ignore[arg-type]
    result: dict[str, object] = summarise(all_ranks)
    result["covered"] = summarise(covered)
    result["accepted"] = summarise(accepted)
    result["accepted_covered"] = summarise(
        [
            r
            for r, c in zip(accepted, accepted_cases, strict=True)
            if c.accepted in set(c.candidates)
        ]
    )
    return result


def ping_share(pings: dict[str, int], pool: int) -> float:
    """Share of all pings received by the top ``TOP_SHARE`` of the member pool."""
    total = sum(pings.values())
    if not total or not pool:
        return 0.0
    top = max(1, math.ceil(TOP_SHARE * pool))
    return sum(sorted(pings.values(), reverse=True)[:top]) / total


def pings_per_member(cases: list[Case], method: str) -> dict[str, int]:
    """How many pings each member got if ``method``'s top 3 were pinged for every question."""
    totals: dict[str, int] = defaultdict(int)
    for case in cases:
        for member in case.rankings[method][:PING_TOP]:
            totals[member] += 1
    return dict(totals)


def percentile(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    lo, hi = math.floor(position), math.ceil(position)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)


# ------------------------------------------------------------------------------ the run


@dataclass(slots=True)
class PingLog:
    """Pings sent during the replay, to simulate each member's recent load."""

    sent: list[tuple[datetime, str, int]] = field(default_factory=list)  # (at, member, question)

    def load_at(self, at: datetime, answered: Callable[[str, int, datetime], bool]) -> dict:
        load: dict[str, Load] = {}
        counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for when, member, question_id in self.sent:
            if at - PING_WINDOW <= when < at:
                counts[member][1] += 1
                if not answered(member, question_id, at):
                    counts[member][0] += 1
        for member, (open_pings, recent) in counts.items():
            load[member] = Load(open_pings=open_pings, recent_pings=recent)
        return load


def replay(
    site: Site,
    config: RankerConfig,
    validation: tuple[float, float],
    test_start: float,
    seed: int,
) -> tuple[list[Case], dict[str, object]]:
    """Walk the site in time order, ranking each validation and test question as it arrives."""
    answers = known_answers(site)
    baselines = BaselineIndex(site, answers)
    ranker = ExpertRanker(config=config)
    windows = [("validation", q) for q in window_questions(site, *validation)]
    windows += [("test", q) for q in window_questions(site, test_start, 1.0)]
    answered_at: dict[tuple[str, int], datetime] = {}
    for answer in answers:
        key = (str(answer.owner_id), answer.parent_id)
        answered_at[key] = min(answered_at.get(key, answer.created), answer.created)

    def answered(member: str, question_id: int, at: datetime) -> bool:
        when = answered_at.get((member, question_id))
        return when is not None and when < at

    pings = PingLog()  # what load spreading saw: its own earlier pings
    latency: dict[str, list[float]] = {"rank": [], "rank+load": [], "refresh": []}
    cases: list[Case] = []
    fed = 0
    for window, question in windows:
        at = question.created
        refresh_start = time.perf_counter()
        while fed < len(answers) and answers[fed].created < at:
            ranker.add(answer_evidence(site, answers[fed]))
            fed += 1
        ranker.refresh()
        refresh_time = time.perf_counter() - refresh_start
        asker = member_key(question.owner_id)
        candidates = sorted(set(ranker.members) - {asker}) if asker else sorted(ranker.members)
        by_question = site.answers_by_question.get(question.id, [])
        gold = {str(a.owner_id) for a in by_question if a.owner_id is not None}
        accepted_answer = site.accepted_answer(question)
        accepted = member_key(accepted_answer.owner_id) if accepted_answer else None
        case = Case(question, window, candidates, gold, accepted)
        if candidates:
            case.features = baselines.features(question, candidates)
            rng = np.random.default_rng([seed, question.id])
            case.features["random"] = rng.random(len(candidates))
            query = question_query(question)
            _, case.signals = ranker.signals(query, candidates)
            for name in BASELINES:
                case.rankings[name] = order_by(case.features[name], candidates)
            plain = ranker.scores(query, candidates)
            case.base = np.array([plain[m] for m in candidates])
            case.rankings[SHIPPED] = sorted(candidates, key=lambda m: (-plain[m], m))
            load = pings.load_at(at, answered)
            spread = ranker.scores(query, candidates, load=load)
            case.rankings[SHIPPED_LOAD] = sorted(candidates, key=lambda m: (-spread[m], m))
            if window == "test":
                started = time.perf_counter()
                top = ranker.rank(query, candidates, k=LATENCY_K)
                latency["rank"].append(time.perf_counter() - started)
                started = time.perf_counter()
                ranker.rank(query, candidates, load=load, k=LATENCY_K)
                latency["rank+load"].append(time.perf_counter() - started)
                latency["refresh"].append(refresh_time)
                expected = case.rankings[SHIPPED][: len(top)]
                if [m.member for m in top] != expected:
                    raise AssertionError("rank() and scores() disagree on the order")
            for member in case.rankings[SHIPPED_LOAD][:PING_TOP]:
                pings.sent.append((at, member, question.id))
        else:
            for name in (*BASELINES, SHIPPED, SHIPPED_LOAD):
                case.rankings[name] = []
        cases.append(case)
    extras: dict[str, object] = {
        "latency": latency,
        "evidence": len(ranker),
        "answered": answered,
    }
    return cases, extras


def simulate_load(
    cases: list[Case], config: RankerConfig, answered: Callable[[str, int, datetime], bool]
) -> dict[int, list[str]]:
    """Replay load spreading from the stored no-load scores (for the sweep over its settings).

    Uses the ranker's own :func:`load_penalty`, so at the shipped settings it reproduces the
    ``copbot+load`` rankings of the replay exactly (checked in :func:`run`).
    """
    pings = PingLog()
    rankings: dict[int, list[str]] = {}
    for case in cases:
        if case.base is None:
            rankings[case.question.id] = []
            continue
        at = case.question.created
        load = pings.load_at(at, answered)
        final = case.base - np.array([load_penalty(load.get(m), config) for m in case.candidates])
        ranking = order_by(final, case.candidates)
        rankings[case.question.id] = ranking
        for member in ranking[:PING_TOP]:
            pings.sent.append((at, member, case.question.id))
    return rankings


def load_sweep(
    cases: list[Case], config: RankerConfig, answered: Callable[[str, int, datetime], bool]
) -> list[dict[str, object]]:
    """hit@3 and top-5% ping share against the load band, on both windows (a diagnostic)."""
    rows = []
    for band in LOAD_BANDS:
        rankings = simulate_load(cases, replace(config, load_band=band), answered)
        row: dict[str, object] = {"load_band": band}
        for window in ("validation", "test"):
            chosen = [c for c in cases if c.window == window]
            ranks = [first_hit(rankings[c.question.id], c.gold) for c in chosen]
            pings: dict[str, int] = defaultdict(int)
            for c in chosen:
                for member in rankings[c.question.id][:PING_TOP]:
                    pings[member] += 1
            pool = len({m for c in chosen for m in c.candidates})
            summary = summarise(ranks)
            row[window] = {
                "mrr": summary["mrr"],
                "hit@3": summary["hit@3"],
                "share_top5pct": ping_share(pings, pool),
            }
        rows.append(row)
    return rows


def add_combinations(cases: list[Case]) -> dict[str, object]:
    """The best combination of the baselines, fitted on the validation window only."""
    train = [c for c in cases if c.window == "validation" and c.candidates and gold_indices(c)]
    weights = fit_loglinear([(log_features(c, COMBO_FEATURES), gold_indices(c)) for c in train])
    for case in cases:
        if not case.candidates:
            case.rankings["combo-loglinear"] = case.rankings["combo-rrf"] = []
            continue
        fitted = log_features(case, COMBO_FEATURES) @ weights
        case.rankings["combo-loglinear"] = order_by(fitted, case.candidates)
        fused = reciprocal_rank_fusion(case, COMBO_FEATURES)
        case.rankings["combo-rrf"] = order_by(fused, case.candidates)
    return {"combo-loglinear": dict(zip(COMBO_FEATURES, weights.round(4).tolist(), strict=True))}


def add_refit(cases: list[Case]) -> dict[str, float]:
    """Diagnostic: the shipped signals with weights refitted on this site's validation window.

    Shows how much a per-site fit would add over the shipped defaults (no load spreading).
    """
    train = [c for c in cases if c.window == "validation" and c.candidates and gold_indices(c)]
    samples = [(np.log1p(c.signals), gold_indices(c)) for c in train if c.signals is not None]
    weights = fit_loglinear(samples)
    for case in cases:
        if case.signals is None or not case.candidates:
            case.rankings["copbot-refit"] = []
            continue
        case.rankings["copbot-refit"] = order_by(np.log1p(case.signals) @ weights, case.candidates)
    return dict(zip(SIGNALS, weights.round(4).tolist(), strict=True))


# ---------------------------------------------------------------------------- scale run


def scale_run(
    members: int = 10_000, answers: int = 100_000, queries: int = 200, seed: int = 7
) -> dict[str, float]:
    """Latency on a synthetic community: Zipf-active members with favourite topics and words."""
    rng = np.random.default_rng(seed)
    n_topics, vocab_size = 300, 30_000
    words = [f"w{i:05d}x" for i in range(vocab_size)]
    word_p = 1.0 / np.arange(1, vocab_size + 1) ** 1.05
    word_p /= word_p.sum()
    topic_words = rng.integers(0, vocab_size, size=(n_topics, 40))
    activity = 1.0 / np.arange(1, members + 1) ** 0.9
    activity /= activity.sum()
    favourite = rng.integers(0, n_topics, size=(members, 3))
    start = datetime(2022, 1, 1, tzinfo=UTC)
    span = 2 * 365 * 86_400
    owners = rng.choice(members, size=answers, p=activity)
    stamps = np.sort(rng.integers(0, span, size=answers))
    lengths = rng.integers(30, 160, size=answers)

    def text_for(topic: int, length: int) -> str:
        common = rng.choice(vocab_size, size=length, p=word_p)
        special = rng.choice(topic_words[topic], size=max(3, length // 8))
        return " ".join(words[i] for i in np.concatenate([common, special]))

    evidence = []
    for i in range(answers):
        owner = int(owners[i])
        topic = int(favourite[owner, rng.integers(0, 3)])
        evidence.append(
            Evidence(
                member=f"m{owner}",
                kind="accepted" if rng.random() < 0.3 else "answer",
                at=start + timedelta(seconds=int(stamps[i])),
                text=text_for(topic, int(lengths[i])),
                topics=(f"t{topic}", f"t{(topic + 1) % n_topics}"),
                title=f"question {i}",
                asker=f"m{int(rng.integers(0, members))}",
            )
        )
    started = time.perf_counter()
    ranker = ExpertRanker(config=RankerConfig())
    ranker.extend(evidence)
    add_time = time.perf_counter() - started
    started = time.perf_counter()
    ranker.refresh()
    build_time = time.perf_counter() - started
    candidates = [f"m{i}" for i in range(members)]
    now = start + timedelta(seconds=span + 3600)
    timings, timings_load = [], []
    load = {f"m{i}": Load(int(rng.integers(0, 3)), int(rng.integers(0, 6))) for i in range(500)}
    for _ in range(queries):
        topic = int(rng.integers(0, n_topics))
        query = Query(
            text=text_for(topic, int(rng.integers(20, 120))),
            at=now,
            topics=(f"t{topic}",),
            asker=f"m{int(rng.integers(0, members))}",
        )
        started = time.perf_counter()
        ranker.rank(query, candidates, k=LATENCY_K)
        timings.append(time.perf_counter() - started)
        started = time.perf_counter()
        ranker.rank(query, candidates, load=load, k=LATENCY_K)
        timings_load.append(time.perf_counter() - started)
    # One more answer: the cheap add, then what the next rank pays (no rebuild at this size).
    started = time.perf_counter()
    ranker.add(replace(evidence[0], at=now))
    one_add = time.perf_counter() - started
    started = time.perf_counter()
    ranker.rank(query, candidates, k=LATENCY_K)
    rank_after_add = time.perf_counter() - started
    return {
        "members": members,
        "answers": answers,
        "queries": queries,
        "seed": seed,
        "rank_p50_ms": 1000 * percentile(timings, 0.5),
        "rank_p95_ms": 1000 * percentile(timings, 0.95),
        "rank_load_p50_ms": 1000 * percentile(timings_load, 0.5),
        "rank_load_p95_ms": 1000 * percentile(timings_load, 0.95),
        "add_mean_us": 1e6 * add_time / answers,
        "one_add_us": 1e6 * one_add,
        "rank_after_add_ms": 1000 * rank_after_add,
        "stale_after_add": ranker.stale_documents,
        "full_rebuild_s": build_time,
    }


# ------------------------------------------------------------------------------- report


def table(rows: list[tuple[str, dict]], pool: int, pings: dict[str, dict[str, int]]) -> str:
    head = (
        f"{'method':<16} {'MRR':>6} {'hit@1':>6} {'hit@3':>6} {'hit@10':>6} | "
        f"{'accMRR':>6} {'acc@3':>6} | {'covMRR':>6} {'cov@3':>6} | {'top5%':>6}"
    )
    lines = [head, "-" * len(head)]
    for name, m in rows:
        share = ping_share(pings[name], pool) if name in pings else float("nan")
        lines.append(
            f"{name:<16} {m['mrr']:6.3f} {m['hit@1']:6.3f} {m['hit@3']:6.3f} {m['hit@10']:6.3f} | "
            f"{m['accepted']['mrr']:6.3f} {m['accepted']['hit@3']:6.3f} | "
            f"{m['covered']['mrr']:6.3f} {m['covered']['hit@3']:6.3f} | {share:6.3f}"
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> dict[str, object]:
    report: dict[str, object] = {}
    config = RankerConfig()
    if not args.scale_only:
        started = time.perf_counter()
        site = load_site(args.site)
        loaded = time.perf_counter() - started
        cases, extras = replay(site, config, (args.val_start, args.test_start), args.test_start, 0)
        combos = add_combinations(cases)
        refit = add_refit(cases)
        answered = extras["answered"]
        simulated = simulate_load(cases, config, answered)  # type: ignore[arg-type]
        if any(simulated[c.question.id] != c.rankings[SHIPPED_LOAD] for c in cases):
            raise AssertionError("the load simulation does not reproduce the ranker")
        sweep = load_sweep(cases, config, answered)  # type: ignore[arg-type]
        test = [c for c in cases if c.window == "test"]
        validation = [c for c in cases if c.window == "validation"]
        names = [*BASELINES, "combo-rrf", "combo-loglinear", SHIPPED, SHIPPED_LOAD, "copbot-refit"]
        methods = {name: evaluate(test, name) for name in names}
        pool = len({m for c in test for m in c.candidates})
        pings = {name: pings_per_member(test, name) for name in names}
        baseline_names = [*BASELINES, "combo-rrf", "combo-loglinear"]
        best = max(baseline_names, key=lambda n: methods[n]["mrr"])  # type: ignore[arg-type,return-value]
        best_hit3 = max(methods[n]["hit@3"] for n in baseline_names)  # type: ignore[type-var]
        ship, ship_load = methods[SHIPPED], methods[SHIPPED_LOAD]
        share_off = ping_share(pings[SHIPPED], pool)
        share_on = ping_share(pings[SHIPPED_LOAD], pool)
        latency: dict[str, list[float]] = extras["latency"]  # type: ignore[assignment]
        covered = sum(1 for c in test if c.gold & set(c.candidates))
        accepted_cases = [c for c in test if c.accepted is not None]
        accepted_covered = sum(1 for c in accepted_cases if c.accepted in set(c.candidates))
        print(f"site: {site.name}  (loaded in {loaded:.1f}s)")
        print(
            f"questions: {len(site.questions)}; validation window {args.val_start:.0%}-"
            f"{args.test_start:.0%}: {len(validation)} answered questions; test window "
            f"{args.test_start:.0%}-100%: {len(test)} answered questions"
        )
        print(
            f"coverage: {covered}/{len(test)} test questions have a gold answerer among the "
            f"candidates; accepted answerer known for {len(accepted_cases)}, among the "
            f"candidates for {accepted_covered}; candidate pool {pool} members"
        )
        print()
        print(table([(n, methods[n]) for n in names], pool, pings))
        print()
        print(
            "MRR/hit over all test questions (uncovered = miss); acc = against the accepted "
            "answerer; cov = over covered questions only; top5% = share of pings (top 3 per "
            "question) received by the top 5% of the pool"
        )
        ratio = ship["mrr"] / methods[best]["mrr"]  # type: ignore[operator]
        hit3_cost = 1 - ship_load["hit@3"] / ship["hit@3"] if ship["hit@3"] else 0.0  # type: ignore[operator]
        share_cut = 1 - share_on / share_off if share_off else 0.0
        beats_all = all(
            ship["mrr"] > methods[n]["mrr"] and ship["hit@3"] > methods[n]["hit@3"]  # type: ignore[operator]
            for n in baseline_names
        )
        rank_p95 = 1000 * percentile(latency["rank"], 0.95)
        print(
            f"best baseline: {best} (MRR {methods[best]['mrr']:.3f}); shipped/best MRR = "
            f"{ratio:.3f} (target >= 1.15); best baseline hit@3 {best_hit3:.3f}"
        )
        print(
            f"load spreading: hit@3 {ship['hit@3']:.3f} -> {ship_load['hit@3']:.3f} "
            f"(cost {hit3_cost:.1%}, target <= 10%); top-5% ping share {share_off:.3f} -> "
            f"{share_on:.3f} (cut {share_cut:.1%}, target >= 33.3%)"
        )
        print(
            f"latency per test question (k={LATENCY_K}): rank p50 "
            f"{1000 * percentile(latency['rank'], 0.5):.2f} ms, p95 {rank_p95:.2f} ms; with load "
            f"p95 {1000 * percentile(latency['rank+load'], 0.95):.2f} ms; adding the new "
            f"answers and rebuilding the text index before a question: p50 "
            f"{1000 * percentile(latency['refresh'], 0.5):.1f} ms, p95 "
            f"{1000 * percentile(latency['refresh'], 0.95):.1f} ms"
        )
        print("load sweep (load_band: MRR / hit@3 / top-5% share), validation | test:")
        for row in sweep:
            v, t = row["validation"], row["test"]
            print(
                f"  {row['load_band']:4.1f}: {v['mrr']:.3f} / {v['hit@3']:.3f} / "
                f"{v['share_top5pct']:.3f} | {t['mrr']:.3f} / {t['hit@3']:.3f} / "
                f"{t['share_top5pct']:.3f}"
            )
        print(f"combination weights (fitted on validation): {combos['combo-loglinear']}")
        print(f"shipped weights: {dict(zip(SIGNALS, config.weights, strict=True))}")
        print(f"refit weights (validation, diagnostic only): {refit}")
        report.update(
            {
                "site": site.name,
                "shipped": SHIPPED,
                "methods": methods,
                "best_baseline": best,
                "coverage": {
                    "test_questions": len(test),
                    "covered": covered,
                    "with_accepted": len(accepted_cases),
                    "accepted_covered": accepted_covered,
                    "validation_questions": len(validation),
                    "candidate_pool": pool,
                },
                "ping_share_top5pct": {n: ping_share(pings[n], pool) for n in pings},
                "load_sweep": sweep,
                "load_spreading": {
                    "hit@3_off": ship["hit@3"],
                    "hit@3_on": ship_load["hit@3"],
                    "hit@3_cost": hit3_cost,
                    "share_off": share_off,
                    "share_on": share_on,
                    "share_cut": share_cut,
                },
                "latency_ms": {
                    name: {
                        "p50": 1000 * percentile(values, 0.5),
                        "p95": 1000 * percentile(values, 0.95),
                    }
                    for name, values in latency.items()
                },
                "weights": {
                    "shipped": dict(zip(SIGNALS, config.weights, strict=True)),
                    "copbot-refit": refit,
                    **combos,
                },
                "targets": {
                    "beats_every_baseline_mrr_and_hit3": beats_all,
                    "mrr_ratio_vs_best_baseline": ratio,
                    "mrr_ratio_met": ratio >= 1.15,
                    "load_hit3_cost_met": hit3_cost <= 0.10,
                    "load_share_cut_met": share_cut >= 1 / 3,
                },
                "protocol": {
                    "validation": [args.val_start, args.test_start],
                    "test": [args.test_start, 1.0],
                    "pings_per_question": PING_TOP,
                    "load_window_days": PING_WINDOW.days,
                    "top_share": TOP_SHARE,
                    "latency_k": LATENCY_K,
                },
            }
        )
    if not args.skip_scale:
        scale = scale_run(seed=args.seed)
        print()
        print(
            f"scale run ({scale['members']:,} members, {scale['answers']:,} answers, seed "
            f"{scale['seed']}): rank p50 {scale['rank_p50_ms']:.1f} ms, p95 "
            f"{scale['rank_p95_ms']:.1f} ms (target < 50 ms); with load p95 "
            f"{scale['rank_load_p95_ms']:.1f} ms; add {scale['add_mean_us']:.0f} us/answer; "
            f"full text-index rebuild {scale['full_rebuild_s']:.2f} s; rank right after one add "
            f"{scale['rank_after_add_ms']:.1f} ms ({scale['stale_after_add']} stale doc)"
        )
        report["scale"] = scale
        if "targets" in report:
            report["targets"]["scale_p95_met"] = scale["rank_p95_ms"] < 50  # type: ignore[index]
    report["environment"] = {"python": platform.python_version(), "bm25s": bm25s.__version__}
    return report


def parse_args(argv: Iterable[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("site", nargs="?", help="a Stack Exchange site folder (Posts.xml, ...)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    parser.add_argument("--skip-scale", action="store_true", help="skip the synthetic scale run")
    parser.add_argument("--scale-only", action="store_true", help="only the synthetic scale run")
    parser.add_argument(
        "--val-start", type=float, default=0.4, help="validation window start (default 0.4)"
    )
    parser.add_argument("--test-start", type=float, default=0.8, help="test window start")
    parser.add_argument("--seed", type=int, default=7, help="seed of the synthetic scale run")
    args = parser.parse_args(list(argv) if argv is not None else None)
    if not args.scale_only and not args.site:
        parser.error("SITE_DIR is required unless --scale-only")
    if args.skip_scale and args.scale_only:
        parser.error("--skip-scale and --scale-only exclude each other")
    return args


def main(argv: Iterable[str] | None = None) -> int:
    args = parse_args(argv)
    report = run(args)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2, default=str) + "\n")
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
