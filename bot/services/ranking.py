"""Who should answer this question? A pure, deterministic, explainable expert ranker.

The ranker only knows what the community has shown it: *evidence* that a member knows something
(an answer, an accepted answer, a lesson they wrote, a topic they declared). From that evidence it
scores every candidate for a new question with four signals, each one a plain number that a
person can check:

``activity``
    The member-activity prior: answers and lessons, each halved in weight every 3 days. People
    who answered yesterday are around today; on real Q&A data this "who is here now" signal is
    the strongest single predictor of who answers next. (A slower, 30-day activity signal was
    tried and dropped: once the decayed ``text`` and ``topic`` signals are in, it adds nothing.)
``text``
    Lexical relevance: BM25 of the question against each piece of evidence (for an answer, the
    question it answered plus the answer), summed per member and weighted by the evidence's age
    (halved every 30 days by default) and kind. This credits members with the similar questions
    they answered.
``topic``
    Topic overlap: evidence tagged with the question's topics (decayed like ``text``), plus a
    fixed credit for topics the member declared.
``asker``
    How often the member has answered this asker before: askers return to the people who
    helped them, and those people tend to come back.

The score is a weighted sum of ``log1p(signal)``, i.e. a log-linear model: each signal multiplies
the odds that the member answers. The default weights were fitted (a conditional-logit fit, then
rounded) on the 40-80% windows of a real Stack Exchange site (Cardano), i.e. *before* the window
the benchmark tests on; ``bench/routing.py`` prints the weights a fit on any site's validation
window gives. The expertise half-life is 30 days rather than a slower 180 because on that data
180 days lost about 0.015 MRR on validation: recent topical activity predicts who answers better
than old expertise does. It is configurable for communities where knowledge ages more slowly.

Load spreading optionally nudges pinged members down, but never by more than ``load_band``
score units, so it only reorders members whose scores are within that band of each other: a
clearly better expert is never passed over for a merely idle one. Open (unanswered) pings weigh
most: on the replayed data, members who left their recent pings unanswered answered the next
question about half as often as those who answered theirs, so open pings are evidence of
absence as much as of load.

Everything here is pure: no database, no chat platform, no clock (the caller passes the time).
Equal inputs give equal outputs, ties are broken by member key.

Cost model (measured by ``bench/routing.py``'s scale run): :meth:`ExpertRanker.add` is O(tokens)
and cheap; the BM25 index is rebuilt lazily at the next :meth:`ExpertRanker.rank` when evidence
was added, immediately for corpora under ``eager_reindex_below`` documents and otherwise once more
than ``max_stale_fraction`` of the corpus is new (until then new evidence already counts for
activity, topics and asker, but not yet for text). A rebuild is O(corpus) (about 5 s for 100,000
answers on one core), so a bot with a large community should call :meth:`ExpertRanker.refresh`
from a background job.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
from typing import Literal, TypeVar, get_args

import bm25s
import numpy as np
import numpy.typing as npt
from bm25s.tokenization import Tokenized

from bot.services.text_analysis import TopicNormaliser, tokenize

__all__ = [
    "SIGNALS",
    "Evidence",
    "EvidenceKind",
    "ExpertRanker",
    "Load",
    "Query",
    "RankedMember",
    "RankerConfig",
    "load_penalty",
]

EvidenceKind = Literal["answer", "accepted", "lesson", "declared"]
_KINDS: frozenset[str] = frozenset(get_args(EvidenceKind))

#: The signals, in the order of :meth:`ExpertRanker.signals`' columns.
SIGNALS: tuple[str, ...] = ("activity", "text", "topic", "asker")

_DAY = 86_400.0
_V = TypeVar("_V")


def _require_aware(value: datetime, what: str) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{what} must be timezone-aware, got naive {value!r}")


@dataclass(frozen=True, slots=True)
class Evidence:
    """One thing a member did that shows what they know.

    ``member`` is an opaque key (storage decides what it is). ``text`` is what the evidence is
    about: for an answer, the question's title and body followed by the answer (the question
    carries the vocabulary future askers will use, the answer the member's own). ``title`` is
    only used to explain a match ("you answered a similar question: '...'"). ``asker`` is who
    asked the question an answer answers, if known. ``declared`` evidence is a standing claim
    ("I know postgres"): it never decays and does not count as activity.
    """

    member: str
    kind: EvidenceKind
    at: datetime
    text: str = ""
    topics: tuple[str, ...] = ()
    title: str | None = None
    asker: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise ValueError(f"unknown evidence kind {self.kind!r}; expected one of {_KINDS}")
        _require_aware(self.at, "Evidence.at")


@dataclass(frozen=True, slots=True)
class Query:
    """A question to route: its text, explicit topics (tags), who asked it and when."""

    text: str
    at: datetime
    topics: tuple[str, ...] = ()
    asker: str | None = None

    def __post_init__(self) -> None:
        _require_aware(self.at, "Query.at")


@dataclass(frozen=True, slots=True)
class Load:
    """How busy a member already is: pings still unanswered and pings received lately."""

    open_pings: int = 0
    recent_pings: int = 0


@dataclass(frozen=True, slots=True)
class RankedMember:
    """One ranked candidate.

    ``score`` orders the list (``base_score`` minus ``load_penalty``); ``contributions`` maps
    each signal to its share of ``base_score`` (weight x log1p(signal value)), and ``reasons``
    are sentences derived from those same numbers, most important first.
    """

    member: str
    score: float
    base_score: float
    load_penalty: float
    contributions: Mapping[str, float]
    reasons: tuple[str, ...]


def _frozen(mapping: Mapping[str, _V]) -> Mapping[str, _V]:
    """A read-only copy, so a shared default config cannot be changed behind the ranker's back."""
    return MappingProxyType(dict(mapping))


@dataclass(frozen=True, slots=True)
class RankerConfig:
    """Weights and knobs. The defaults are what ships (see the module docstring for their origin).

    Weights multiply ``log1p`` of each signal. Half-lives are in days: ``activity_half_life_days``
    for the activity prior, ``half_life_days`` for the expertise evidence behind ``text`` and
    ``topic``. ``kind_weights`` scales the ``text`` and ``topic`` credit of each kind of evidence.
    ``declared_topic_credit`` is how many (undecayed) tagged answers a declared topic is worth.

    Load: the pressure on a member is ``open_ping_weight * open + recent_ping_weight * recent``
    and the penalty ``min(load_band, load_slope * log1p(pressure))``; ``load_band`` = 0 turns
    load spreading off.
    """

    weight_activity: float = 0.85
    weight_text: float = 0.7
    weight_topic: float = 0.9
    weight_asker: float = 0.75
    activity_half_life_days: float = 3.0
    half_life_days: float = 30.0
    kind_weights: Mapping[str, float] = field(
        default_factory=lambda: _frozen(
            {"answer": 1.0, "accepted": 1.0, "lesson": 1.0, "declared": 1.0}
        )
    )
    declared_topic_credit: float = 3.0
    bm25_k1: float = 1.2
    bm25_b: float = 0.75
    max_query_tokens: int = 256
    load_band: float = 3.5
    load_slope: float = 1.0
    open_ping_weight: float = 2.0
    recent_ping_weight: float = 0.1
    topic_aliases: Mapping[str, str] = field(default_factory=lambda: _frozen({}))
    eager_reindex_below: int = 20_000
    max_stale_fraction: float = 0.01

    def __post_init__(self) -> None:
        for name in ("activity_half_life_days", "half_life_days"):
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be positive")
        if self.load_band < 0 or self.load_slope < 0:
            raise ValueError("load_band and load_slope must be >= 0")
        unknown = set(self.kind_weights) - _KINDS
        if unknown:
            raise ValueError(f"kind_weights has unknown kinds {sorted(unknown)}")

    @property
    def weights(self) -> tuple[float, ...]:
        """The signal weights in :data:`SIGNALS` order."""
        return (self.weight_activity, self.weight_text, self.weight_topic, self.weight_asker)


def load_penalty(load: Load | None, config: RankerConfig) -> float:
    """How far ``load`` pushes a member's score down: 0 without load, never above the band.

    Logarithmic in the ping pressure, so the tenth ping matters less than the first, and capped
    at ``config.load_band`` so that load only reorders members of similar merit.
    """
    if load is None or config.load_band <= 0:
        return 0.0
    pressure = config.open_ping_weight * max(load.open_pings, 0) + config.recent_ping_weight * max(
        load.recent_pings, 0
    )
    return min(config.load_band, config.load_slope * math.log1p(pressure))


class _Column:
    """A numpy array that grows by doubling, so appending one row is amortised O(1)."""

    __slots__ = ("_data", "_size")

    def __init__(self, dtype: npt.DTypeLike, capacity: int = 1024) -> None:
        self._data = np.zeros(capacity, dtype=dtype)
        self._size = 0

    def append(self, value: float) -> None:
        if self._size == len(self._data):
            grown = np.zeros(len(self._data) * 2, dtype=self._data.dtype)
            grown[: self._size] = self._data
            self._data = grown
        self._data[self._size] = value
        self._size += 1

    def view(self) -> np.ndarray:
        return self._data[: self._size]

    def __len__(self) -> int:
        return self._size


@dataclass(slots=True)
class _Scored:
    """Raw signals for a set of candidates, plus what is needed to explain them."""

    keys: list[str]
    rows: np.ndarray  # member row of each candidate; -1 for a member with no evidence
    signals: np.ndarray  # shape (candidates, len(SIGNALS))
    text_scores: np.ndarray | None  # per indexed evidence: BM25 x decay x kind weight
    topics: tuple[str, ...]
    asker: str | None
    now_ts: float


class ExpertRanker:
    """Ranks members for a question from the evidence it was given.

    Build it from all known evidence, then :meth:`add` new evidence as it happens (an answer, a
    lesson, a declaration). :meth:`rank` is read-only apart from lazily refreshing the text
    index. Not thread-safe: give each worker its own, or guard it with a lock.
    """

    def __init__(
        self, evidence: Iterable[Evidence] = (), config: RankerConfig | None = None
    ) -> None:
        self.config = config or RankerConfig()
        self._normalise = TopicNormaliser(self.config.topic_aliases)
        self._member_rows: dict[str, int] = {}
        self._member_keys: list[str] = []
        self._member = _Column(np.int32)
        self._at = _Column(np.float64)
        self._kind_weight = _Column(np.float64)
        self._is_activity = _Column(np.bool_)
        self._decays = _Column(np.bool_)
        self._titles: list[str | None] = []
        self._kinds: list[str] = []
        self._tokens: list[array[int]] = []
        self._vocab: dict[str, int] = {}
        self._topic_postings: dict[str, _Column] = {}
        self._asker_postings: dict[str, _Column] = {}
        self._declared: dict[str, dict[int, float]] = {}  # topic -> member row -> earliest ts
        self._index: bm25s.BM25 | None = None
        self._indexed_docs = 0
        self._indexed_vocab = 0
        self.extend(evidence)

    # ----------------------------------------------------------------------------- building

    def __len__(self) -> int:
        return len(self._member)

    @property
    def members(self) -> tuple[str, ...]:
        """Every member with at least one piece of evidence, in first-seen order."""
        return tuple(self._member_keys)

    @property
    def stale_documents(self) -> int:
        """Evidence added since the text index was last built (not yet counted for ``text``)."""
        return len(self) - self._indexed_docs

    def add(self, evidence: Evidence) -> None:
        """Record one piece of evidence. O(length of its text); the text index updates lazily."""
        row = self._member_rows.get(evidence.member)
        if row is None:
            row = len(self._member_keys)
            self._member_rows[evidence.member] = row
            self._member_keys.append(evidence.member)
        doc = len(self._member)
        ts = evidence.at.timestamp()
        self._member.append(row)
        self._at.append(ts)
        self._kind_weight.append(self.config.kind_weights.get(evidence.kind, 1.0))
        self._is_activity.append(evidence.kind != "declared")
        self._decays.append(evidence.kind != "declared")
        self._titles.append(evidence.title)
        self._kinds.append(evidence.kind)
        vocab = self._vocab
        ids = array("i")
        for token in tokenize(evidence.text):
            token_id = vocab.get(token)
            if token_id is None:
                token_id = vocab[token] = len(vocab)
            ids.append(token_id)
        self._tokens.append(ids)
        for topic in self._normalise.many(evidence.topics):
            if evidence.kind == "declared":
                declared = self._declared.setdefault(topic, {})
                declared[row] = min(declared.get(row, ts), ts)
            else:
                self._topic_postings.setdefault(topic, _Column(np.int32, 16)).append(doc)
        if evidence.asker is not None and evidence.kind != "declared":
            self._asker_postings.setdefault(evidence.asker, _Column(np.int32, 16)).append(doc)

    def extend(self, evidence: Iterable[Evidence]) -> None:
        """Record many pieces of evidence (same as calling :meth:`add` for each)."""
        for item in evidence:
            self.add(item)

    def refresh(self) -> None:
        """Rebuild the text index now, so all evidence counts for ``text``. O(corpus)."""
        n_docs = len(self)
        if n_docs == 0 or not self._vocab:
            self._index, self._indexed_docs, self._indexed_vocab = None, n_docs, 0
            return
        index = bm25s.BM25(k1=self.config.bm25_k1, b=self.config.bm25_b)
        corpus = Tokenized(ids=[ids.tolist() for ids in self._tokens], vocab=dict(self._vocab))
        index.index(corpus, show_progress=False)
        self._index = index
        self._indexed_docs = n_docs
        self._indexed_vocab = len(self._vocab)

    def _ensure_index(self) -> None:
        stale = self.stale_documents
        if stale == 0:
            return
        indexed = self._indexed_docs
        if (
            indexed == 0
            or indexed < self.config.eager_reindex_below
            or stale >= self.config.max_stale_fraction * indexed
        ):
            self.refresh()

    # ------------------------------------------------------------------------------ scoring

    def _candidate_rows(
        self, query: Query, candidates: Iterable[str]
    ) -> tuple[list[str], list[int]]:
        """Candidate keys (asker and duplicates dropped, order kept) and their member rows."""
        keys: list[str] = []
        seen: set[str] = set()
        for key in candidates:
            if key in seen or key == query.asker:
                continue
            seen.add(key)
            keys.append(key)
        return keys, [self._member_rows.get(key, -1) for key in keys]

    def _score(self, query: Query, candidates: Iterable[str], now: datetime | None) -> _Scored:
        cfg = self.config
        when = now or query.at
        _require_aware(when, "now")
        now_ts = when.timestamp()
        keys, rows_list = self._candidate_rows(query, candidates)
        rows = np.asarray(rows_list, dtype=np.int64)
        n_members = len(self._member_keys)
        # Candidates without evidence read the extra, always-zero slot at the end.
        lookup = np.where(rows >= 0, rows, n_members)
        signals = np.zeros((len(keys), len(SIGNALS)))
        topics = self._normalise.many(query.topics)
        n_docs = len(self)
        if n_docs == 0 or not keys:
            return _Scored(keys, rows, signals, None, topics, query.asker, now_ts)

        member = self._member.view()
        at = self._at.view()
        age = np.maximum(now_ts - at, 0.0) / _DAY
        known = at <= now_ts  # evidence from after `now` is ignored: rank as of `now`
        activity = known & self._is_activity.view()

        def per_member(weights: np.ndarray, docs: np.ndarray | slice | None = None) -> np.ndarray:
            owners = member if docs is None else member[docs]
            sums = np.bincount(owners, weights=weights, minlength=n_members + 1)
            return sums[lookup]

        def decay(half_life: float) -> np.ndarray:
            return np.exp2(-age / half_life)

        signals[:, 0] = per_member(decay(cfg.activity_half_life_days) * activity)
        expertise = np.where(self._decays.view(), decay(cfg.half_life_days), 1.0)
        expertise *= self._kind_weight.view() * known

        text_scores = None
        self._ensure_index()
        if self._index is not None and self._indexed_docs:
            query_ids = [
                self._vocab[t]
                for t in tokenize(query.text)[: cfg.max_query_tokens]
                if self._vocab.get(t, self._indexed_vocab) < self._indexed_vocab
            ]
            if query_ids:
                bm25 = self._index.get_scores_from_ids(query_ids).astype(np.float64)
                text_scores = bm25 * expertise[: self._indexed_docs]
                signals[:, 1] = per_member(text_scores, slice(0, self._indexed_docs))

        declared_credit = np.zeros(n_members + 1)
        for topic in topics:
            posting = self._topic_postings.get(topic)
            if posting is not None:
                docs = posting.view()
                signals[:, 2] += per_member(expertise[docs], docs)
            for row, since in self._declared.get(topic, {}).items():
                if since <= now_ts:
                    declared_credit[row] += cfg.declared_topic_credit
        signals[:, 2] += declared_credit[lookup]

        if query.asker is not None and query.asker in self._asker_postings:
            docs = self._asker_postings[query.asker].view()
            signals[:, 3] = per_member(known[docs].astype(np.float64), docs)

        return _Scored(keys, rows, signals, text_scores, topics, query.asker, now_ts)

    def signals(
        self, query: Query, candidates: Iterable[str], *, now: datetime | None = None
    ) -> tuple[list[str], np.ndarray]:
        """Raw signal values (columns in :data:`SIGNALS` order) for each candidate.

        For fitting weights and for diagnostics; :meth:`rank` is what a bot calls.
        """
        scored = self._score(query, candidates, now)
        return scored.keys, scored.signals

    def scores(
        self,
        query: Query,
        candidates: Iterable[str],
        *,
        load: Mapping[str, Load] | None = None,
        now: datetime | None = None,
    ) -> dict[str, float]:
        """The final score of every candidate (what :meth:`rank` orders by), without reasons.

        For evaluation over full rankings; order by ``(-score, member)`` to match :meth:`rank`.
        """
        scored = self._score(query, candidates, now)
        final = self._combine(scored, load)[2]
        return {key: float(value) for key, value in zip(scored.keys, final, strict=True)}

    def rank(
        self,
        query: Query,
        candidates: Iterable[str],
        *,
        load: Mapping[str, Load] | None = None,
        now: datetime | None = None,
        k: int = 5,
    ) -> list[RankedMember]:
        """The ``k`` best candidates for ``query``, best first, with their reasons.

        ``candidates`` are member keys (the asker is always dropped, so are duplicates; members
        without evidence score 0). ``now`` defaults to ``query.at``; evidence after it is
        ignored. With ``load`` given, members under ping pressure are nudged down within
        ``config.load_band``; with ``load=None`` (or a zero band) there is no load spreading.
        """
        if k <= 0:
            return []
        scored = self._score(query, candidates, now)
        if not scored.keys:
            return []
        contributions, penalty, final = self._combine(scored, load)
        base = contributions.sum(axis=1)
        return [
            RankedMember(
                member=scored.keys[i],
                score=float(final[i]),
                base_score=float(base[i]),
                load_penalty=float(penalty[i]),
                contributions=MappingProxyType(
                    {name: float(contributions[i, j]) for j, name in enumerate(SIGNALS)}
                ),
                reasons=self._reasons(scored, i, contributions[i], penalty[i], load),
            )
            for i in self._top(final, scored.keys, k)
        ]

    def _combine(
        self, scored: _Scored, load: Mapping[str, Load] | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-signal contributions, load penalties and final scores."""
        contributions = np.log1p(scored.signals) * np.asarray(self.config.weights)
        penalty = self._load_penalty(scored.keys, load)
        return contributions, penalty, contributions.sum(axis=1) - penalty

    def _load_penalty(self, keys: list[str], load: Mapping[str, Load] | None) -> np.ndarray:
        if not load or self.config.load_band <= 0:
            return np.zeros(len(keys))
        return np.array([load_penalty(load.get(key), self.config) for key in keys])

    @staticmethod
    def _top(scores: np.ndarray, keys: list[str], k: int) -> list[int]:
        """Indices of the ``k`` best scores; ties (including at the cut) broken by key."""
        if k < len(scores):
            cut = np.partition(scores, len(scores) - k)[len(scores) - k]
            pool = np.flatnonzero(scores >= cut)
        else:
            pool = np.arange(len(scores))
        ordered = sorted(pool.tolist(), key=lambda i: (-scores[i], keys[i]))
        return ordered[:k]

    # ---------------------------------------------------------------------------- reasons

    def _reasons(
        self,
        scored: _Scored,
        i: int,
        contributions: np.ndarray,
        penalty: float,
        load: Mapping[str, Load] | None,
    ) -> tuple[str, ...]:
        """Sentences for the signals that contributed, largest contribution first."""
        row = int(scored.rows[i])
        if row < 0:
            return ("no track record yet",)
        member = self._member.view()
        at = self._at.view()
        mine = member == row
        known = at <= scored.now_ts
        sentences: list[tuple[float, str]] = []
        for j, name in enumerate(SIGNALS):
            value = float(contributions[j])
            if value <= 1e-9:
                continue
            text = self._reason(name, scored, row, mine, known)
            if text:
                sentences.append((value, text))
        sentences.sort(key=lambda item: -item[0])
        reasons = [text for _, text in sentences]
        if penalty > 1e-9 and load is not None:
            item = load.get(scored.keys[i], Load())
            reasons.append(
                f"moved down a little: {item.open_pings} open and {item.recent_pings} recent pings"
            )
        return tuple(reasons) or ("no matching evidence",)

    def _reason(
        self, name: str, scored: _Scored, row: int, mine: np.ndarray, known: np.ndarray
    ) -> str:
        """The sentence behind one signal, built from the evidence that produced it."""
        if name == "activity":
            return self._activity_reason(scored, mine & known)
        if name == "text":
            return self._text_reason(scored, mine)
        if name == "topic":
            return self._topic_reason(scored, row, mine & known)
        if name == "asker" and scored.asker in self._asker_postings:
            docs = self._asker_postings[scored.asker].view()
            count = int(np.count_nonzero(mine[docs] & known[docs]))
            if count == 1:
                return "you helped this asker before"
            return f"you helped this asker {count} times before" if count else ""
        return ""

    def _kind_counts(self, docs: np.ndarray) -> str:
        """``3 questions`` / ``1 question and 2 lessons``: what a set of evidence consists of."""
        lessons = sum(1 for d in docs.tolist() if self._kinds[d] == "lesson")
        answers = sum(1 for d in docs.tolist() if self._kinds[d] in ("answer", "accepted"))
        parts = []
        if answers:
            parts.append(f"answered {_plural(answers, 'question')}")
        if lessons:
            parts.append(f"wrote {_plural(lessons, 'lesson')}")
        return " and ".join(parts)

    def _activity_reason(self, scored: _Scored, mine_known: np.ndarray) -> str:
        age = (scored.now_ts - self._at.view()) / _DAY
        active = mine_known & self._is_activity.view()
        week = np.flatnonzero(active & (age <= 7))
        if len(week):
            return f"you {self._kind_counts(week)} in the last 7 days"
        if not active.any():
            return ""
        return f"you were last active {float(age[active].min()):.0f} days ago"

    def _text_reason(self, scored: _Scored, mine: np.ndarray) -> str:
        if scored.text_scores is None:
            return ""
        docs = np.flatnonzero(mine[: len(scored.text_scores)])
        if len(docs) == 0:
            return ""
        best = int(docs[np.argmax(scored.text_scores[docs])])
        if scored.text_scores[best] <= 0:
            return ""
        title, kind = self._titles[best], self._kinds[best]
        if kind == "lesson":
            return (
                f"you wrote a related lesson: '{title}'" if title else "you wrote a related lesson"
            )
        if kind == "declared":
            return "your profile describes this"
        if title:
            return f"you answered a similar question: '{title}'"
        return "your past answers use the same words"

    def _topic_reason(self, scored: _Scored, row: int, mine_known: np.ndarray) -> str:
        parts: list[str] = []
        for topic in scored.topics:
            posting = self._topic_postings.get(topic)
            if posting is not None:
                docs = posting.view()
                counted = self._kind_counts(docs[mine_known[docs]])
                if counted:
                    parts.append(f"you {counted} tagged {topic}")
            since = self._declared.get(topic, {}).get(row)
            if since is not None and since <= scored.now_ts:
                parts.append(f"you declared {topic}")
        return "; ".join(parts)


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
