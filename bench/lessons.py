"""Benchmarks for copbot's lessons: ``python bench/lessons.py <subcommand> ...``.

Each subcommand measures one part of the lessons feature on real data. They share one entry
point so results are produced the same way (a printed table, optionally ``--json PATH``); to add
one, write an ``add_<name>_command(subparsers)`` that registers its parser with
``set_defaults(run=...)`` and append it to ``COMMANDS``.

``drafting`` asks: when a member captures a solved thread, does the draft quote the answer?
Ground truth is inferred, not annotated: in threads whose asker (first speaker) later says
thanks or that it worked (``is_confirmation``, the same test the bot uses), the drafter sees the
thread up to, not including, that confirmation, and the gold answer is the last message by
someone other than the asker before it. That gold is positional by construction (the "last
helper message" reference row always hits it), so a second gold is reported: the helper
messages the annotators linked the confirmation to, i.e. what was actually thanked. Baselines
quote one whole message; the drafter is shown at ``max_learned=1`` (one sentence, the fair
comparison) and at its default. Weights may only be tuned on the 2004-2010 samples; the later
ones are reported separately as held out.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `bench` and `bot` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import argparse
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.irc_threads import IrcThread, LineKind, LogLine, iter_threads
from bench.lesson_search import add_deflection_command, add_search_command
from bot.services.drafting import (
    EmptyThreadError,
    LessonDraft,
    ThreadMessage,
    draft_lesson,
    is_confirmation,
    split_sentences,
)

TUNING_YEARS = range(2004, 2011)
"""Samples from these years may be looked at while choosing weights; later ones may not."""
HELD_OUT_YEARS = range(2011, 2100)
PERIODS = {"2004-2010 (tuning)": TUNING_YEARS, "2011 on (held out)": HELD_OUT_YEARS}
SHIPPED = "drafter"
"""The method copbot ships: the drafter with its default settings."""
REFERENCES = ("last_helper",)
"""Rows that are not methods: last_helper is the "hit" gold itself."""


# --- drafting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One solved thread, cut just before the asker's confirmation."""

    thread: IrcThread
    messages: tuple[ThreadMessage, ...]
    asker: str
    target: int  # index of the last helper message before the confirmation
    thanked: frozenset[int]  # helper messages the confirmation is annotated as replying to


def to_messages(lines: Sequence[LogLine]) -> tuple[ThreadMessage, ...]:
    """Log lines as the drafter's input; actions read like "nick waves".

    A line with an unreadable clock borrows the previous line's time: order is what matters.
    """
    out: list[ThreadMessage] = []
    at = datetime.min.replace(tzinfo=UTC)
    for line in lines:
        at = line.at or at
        text = f"{line.nick} {line.text}" if line.kind is LineKind.ACTION else line.text
        out.append(ThreadMessage(author=line.nick or "", text=text, at=at))
    return tuple(out)


def make_case(thread: IrcThread) -> Case | None:
    """The bench case for a thread, or None if its asker never confirms after a helper spoke."""
    lines = thread.lines
    if not lines:
        return None
    asker = lines[0].nick or ""
    last_helper: int | None = None
    for k, line in enumerate(lines):
        if line.nick != asker:
            last_helper = k
        elif last_helper is not None and is_confirmation(line.text):
            position = {ln.number: i for i, ln in enumerate(lines[:k])}
            thanked = frozenset(
                position[n]
                for n in thread.parents(line.number)
                if n in position and lines[position[n]].nick != asker
            )
            return Case(thread, to_messages(lines[:k]), asker, last_helper, thanked)
    return None


@dataclass(frozen=True)
class Output:
    """What a method produced for a case: the messages it quoted and how long its text is.

    The answer is what the method offers as the fix (the "what we learned" sentences, or a
    baseline's one message); the draft is everything a member would read (for the drafter:
    title, context and learned; for a baseline, its message).
    """

    picked: tuple[int, ...]
    answer_chars: int
    answer_sentences: int
    draft_chars: int
    draft_sentences: int


NOTHING = Output((), 0, 0, 0, 0)


@dataclass
class Tally:
    """Running totals for one method on one split."""

    cases: int = 0
    hits: int = 0
    thanked_cases: int = 0
    thanked_hits: int = 0
    empty: int = 0
    picked_messages: int = 0
    answer_chars: int = 0
    answer_sentences: int = 0
    draft_chars: int = 0
    draft_sentences: int = 0
    ratio_chars: float = 0.0
    ratio_sentences: float = 0.0

    def add(self, case: Case, output: Output, thread_chars: int, thread_sentences: int) -> None:
        """Record what a method produced for a case."""
        chosen = set(output.picked)
        self.cases += 1
        self.hits += case.target in chosen
        if case.thanked:
            self.thanked_cases += 1
            self.thanked_hits += bool(case.thanked & chosen)
        self.empty += not chosen
        self.picked_messages += len(chosen)
        self.answer_chars += output.answer_chars
        self.answer_sentences += output.answer_sentences
        self.draft_chars += output.draft_chars
        self.draft_sentences += output.draft_sentences
        self.ratio_chars += output.draft_chars / max(thread_chars, 1)
        self.ratio_sentences += output.draft_sentences / max(thread_sentences, 1)

    def figures(self) -> dict[str, float | int | list[float]]:
        """The tally as the numbers the table and the JSON report (rates are 0-1, means)."""
        n = self.cases or 1
        return {
            "cases": self.cases,
            "hit": self.hits / n,
            "hit_ci95": list(wilson(self.hits, self.cases)),
            "thanked_cases": self.thanked_cases,
            "thanked_hit": self.thanked_hits / (self.thanked_cases or 1),
            "thanked_hit_ci95": list(wilson(self.thanked_hits, self.thanked_cases)),
            "empty": self.empty / n,
            "messages_picked": self.picked_messages / n,
            "answer_chars": self.answer_chars / n,
            "answer_sentences": self.answer_sentences / n,
            "draft_chars": self.draft_chars / n,
            "draft_sentences": self.draft_sentences / n,
            "draft_chars_vs_thread": self.ratio_chars / n,
            "draft_sentences_vs_thread": self.ratio_sentences / n,
        }


def wilson(successes: int, trials: int, z: float = 1.96) -> tuple[float, float]:
    """95% Wilson interval of a rate, so small differences are not read as wins."""
    if trials == 0:
        return (0.0, 0.0)
    p = successes / trials
    centre = (p + z * z / (2 * trials)) / (1 + z * z / trials)
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials))
    spread /= 1 + z * z / trials
    return (max(0.0, centre - spread), min(1.0, centre + spread))


def _helpers(case: Case) -> list[int]:
    return [i for i, m in enumerate(case.messages) if m.author != case.asker]


def _whole_message(case: Case, index: int | None) -> Output:
    """A baseline's output: one whole message, which is both its answer and its draft."""
    if index is None:
        return NOTHING
    text = case.messages[index].text
    chars, sentences = len(text), len(split_sentences(text))
    return Output((index,), chars, sentences, chars, sentences)


def first_helper(case: Case) -> Output:
    """Baseline: the first message by someone other than the asker."""
    return _whole_message(case, next(iter(_helpers(case)), None))


def longest_helper(case: Case) -> Output:
    """Baseline: the longest message by someone other than the asker (first if tied)."""
    helpers = _helpers(case)
    best = max(helpers, key=lambda i: (len(case.messages[i].text), -i), default=None)
    return _whole_message(case, best)


def last_helper(case: Case) -> Output:
    """Reference, not a method: the gold answer by construction, so it always hits it.

    It is reported because it shows how much of any method's score recency alone could buy,
    and on the "thanked" gold it is a fair baseline.
    """
    helpers = _helpers(case)
    return _whole_message(case, helpers[-1] if helpers else None)


def drafter(max_learned: int | None) -> Callable[[Case], Output]:
    """The drafter as a method, at a given ``max_learned`` or at its default (None)."""

    def run(case: Case) -> Output:
        options = {} if max_learned is None else {"max_learned": max_learned}
        try:
            draft: LessonDraft = draft_lesson(case.messages, asker=case.asker, **options)
        except EmptyThreadError:
            return NOTHING
        answer_chars = sum(len(s) for s in draft.learned)
        draft_chars = len(draft.title) + len(draft.context) + answer_chars
        draft_sentences = len(split_sentences(draft.context)) + len(draft.learned)
        return Output(
            draft.learned_sources, answer_chars, len(draft.learned), draft_chars, draft_sentences
        )

    return run


METHODS: dict[str, Callable[[Case], Output]] = {
    "first_helper": first_helper,
    "longest_helper": longest_helper,
    "last_helper": last_helper,
    "drafter@1": drafter(1),
    SHIPPED: drafter(None),
}


@dataclass
class Split:
    """Counts and per-method tallies for one period of samples."""

    threads: int = 0
    multi_speaker: int = 0
    tallies: dict[str, Tally] = field(default_factory=lambda: {m: Tally() for m in METHODS})
    thread_chars: int = 0
    thread_sentences: int = 0

    def report(self) -> dict[str, object]:
        """The split's figures in the JSON shape the bench promises."""
        cases = next(iter(self.tallies.values())).cases
        return {
            "methods": {name: tally.figures() for name, tally in self.tallies.items()},
            "shipped": SHIPPED,
            "references": list(REFERENCES),
            "threads": self.threads,
            "threads_with_two_speakers": self.multi_speaker,
            "threads_with_confirmation_used": cases,
            "thread_chars": self.thread_chars / (cases or 1),
            "thread_sentences": self.thread_sentences / (cases or 1),
        }


LEGEND = """\
hit      the gold answer (last message by someone other than the asker before the asker's
         thanks) is among the method's quoted messages; 95% CI is Wilson's interval
thanked  same, with the annotated gold: a helper message the thanks is linked to (cases that
         have one)
empty    no message quoted; msgs: messages quoted on average
ans      characters / sentences of the answer (learned sentences, or the baseline's message)
draft    characters / sentences a member reads (drafter: title + context + learned)
ch/thr   draft length over the length of the thread given, averaged per thread
(ref.)   last_helper is the "hit" gold by construction: a reference row, not a method."""


def run_drafting(args: argparse.Namespace) -> int:
    """Evaluate the drafter and the baselines on every split; print and optionally save."""
    splits = {"all": Split()} | {period: Split() for period in PERIODS}
    for thread in iter_threads(args.threads_dir, structure=args.structure):
        year = thread.day.year
        targets = [splits["all"], *(splits[p] for p, years in PERIODS.items() if year in years)]
        multi = len(thread.speakers) >= 2
        case = make_case(thread) if multi else None
        for split in targets:
            split.threads += 1
            split.multi_speaker += multi
        if case is None:
            continue
        chars = sum(len(m.text) for m in case.messages)
        sentences = sum(len(split_sentences(m.text)) for m in case.messages)
        for name, method in METHODS.items():
            output = method(case)
            for split in targets:
                split.tallies[name].add(case, output, chars, sentences)
        for split in targets:
            split.thread_chars += chars
            split.thread_sentences += sentences
    if splits["all"].threads == 0:
        print(f"no threads found in {args.threads_dir}", file=sys.stderr)
        return 1
    reports = {name: split.report() for name, split in splits.items()}
    for name, report in reports.items():
        print(render_table(name, report))
        print()
    print(LEGEND)
    if args.json:
        payload = dict(reports["all"])
        payload["splits"] = {k: v for k, v in reports.items() if k != "all"}
        payload["structure"] = args.structure
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


def render_table(title: str, report: dict[str, object]) -> str:
    """A fixed-width table of one split's figures."""
    methods: dict[str, dict[str, float]] = report["methods"]  # type: ignore[assignment]
    head = (
        f"== {title}: {report['threads']} threads, {report['threads_with_two_speakers']} with "
        f"2+ speakers, {report['threads_with_confirmation_used']} with a confirmation used; "
        f"thread before the thanks: {report['thread_chars']:.0f} chars, "
        f"{report['thread_sentences']:.1f} sentences on average"
    )
    columns = (
        f"{'method':<20} {'hit':>6} {'95% CI':>9} {'thanked':>7} {'empty':>6} {'msgs':>5} "
        f"{'ans ch':>6} {'ans s':>5} {'draft ch':>8} {'draft s':>7} {'ch/thr':>6} {'s/thr':>5}"
    )
    rows = [head, columns, "-" * len(columns)]
    for name, f in methods.items():
        low, high = f["hit_ci95"]  # type: ignore[misc]
        label = f"{name} (ref.)" if name in REFERENCES else name
        rows.append(
            f"{label:<20} {f['hit']:>6.1%} {f'{low:.0%}-{high:.0%}':>9} {f['thanked_hit']:>7.1%} "
            f"{f['empty']:>6.1%} {f['messages_picked']:>5.2f} {f['answer_chars']:>6.0f} "
            f"{f['answer_sentences']:>5.1f} {f['draft_chars']:>8.0f} {f['draft_sentences']:>7.1f} "
            f"{f['draft_chars_vs_thread']:>6.2f} {f['draft_sentences_vs_thread']:>5.2f}"
        )
    return "\n".join(rows)


def add_drafting_command(subparsers: argparse._SubParsersAction) -> None:
    """Register ``drafting THREADS_DIR [--json PATH] [--structure links|clusters]``."""
    parser = subparsers.add_parser(
        "drafting",
        help="does the lesson draft quote the answer the asker confirmed?",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("threads_dir", type=Path, help="folder with the IRC *.raw.txt logs")
    parser.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    parser.add_argument(
        "--structure",
        choices=("links", "clusters"),
        default="links",
        help="rebuild threads from the annotation links (default) or the gold clusters file",
    )
    parser.set_defaults(run=run_drafting)


COMMANDS: list[Callable[[argparse._SubParsersAction], None]] = [
    add_drafting_command,
    add_search_command,
    add_deflection_command,
]
"""Each adds one subcommand (search and deflection live in bench/lesson_search.py)."""


def build_parser() -> argparse.ArgumentParser:
    """The ``lessons`` bench parser with every registered subcommand."""
    parser = argparse.ArgumentParser(prog="bench/lessons.py", description="copbot lesson benches")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in COMMANDS:
        add(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the command line and run the chosen bench; the exit code is the bench's."""
    args = build_parser().parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
