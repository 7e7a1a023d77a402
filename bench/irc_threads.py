"""Rebuild hand-annotated help threads from the Ubuntu IRC disentanglement data.

The data (``/work/shared/data/threads/ubuntu-irc/``, see its README) is a set of channel-log
samples. Each ``<date>.train-<x>.raw.txt`` holds one log line per line (``[HH:MM] <nick> text``,
``[HH:MM]  * nick action`` or a system line), and each ``.annotation.txt`` holds reply links
``A B -`` between line numbers. A thread is a connected component of those links.

Two ways to rebuild threads are offered, because they differ in a way that matters for lessons:

* ``"links"`` (the default) joins the raw annotation links. Links may reach back into the
  unannotated context before line 1,000, so a thread may start with the question that was asked
  a few minutes before the annotated window opened. Without it, the "asker" of such a thread
  would be whoever happened to speak first inside the window.
* ``"clusters"`` reads ``gold.train.clusters.txt``, the published grouping, which only lists
  lines at or after 1,000.

The loader only reads the files; it knows nothing about lessons or copbot, so the bench can
compare drafting methods on exactly the same threads.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Literal

ANNOTATED_FROM = 1000
"""First line number of the annotated part of every sample (the lines before are context)."""

RAW_SUFFIX = ".raw.txt"
ANNOTATION_SUFFIX = ".annotation.txt"
CLUSTERS_FILE = "gold.train.clusters.txt"

Structure = Literal["links", "clusters"]


class LineKind(StrEnum):
    """What a log line is; only messages and actions are things people said."""

    MESSAGE = "message"
    ACTION = "action"
    SYSTEM = "system"


@dataclass(frozen=True)
class LogLine:
    """One line of a raw log, numbered from 0 as the annotations number them.

    ``at`` is ``None`` for lines without a timestamp (joins, parts, mode changes).
    """

    number: int
    kind: LineKind
    nick: str | None
    text: str
    at: datetime | None

    @property
    def is_chat(self) -> bool:
        """True for lines a person wrote (messages and ``/me`` actions)."""
        return self.kind is not LineKind.SYSTEM and self.nick is not None


@dataclass(frozen=True)
class IrcThread:
    """One annotated thread: its chat lines in log order and the reply links among them.

    ``links`` keeps every annotated pair (earlier line, later line) inside the thread, so a
    benchmark can ask which earlier message a reply answered (e.g. what a "thanks" thanked).
    """

    sample: str
    lines: tuple[LogLine, ...]
    links: tuple[tuple[int, int], ...] = field(default=())

    @property
    def day(self) -> date:
        """The date the sample was logged, from its file name."""
        return sample_day(self.sample)

    @property
    def speakers(self) -> tuple[str, ...]:
        """Distinct nicks in order of first appearance."""
        seen: dict[str, None] = {}
        for line in self.lines:
            if line.nick is not None:
                seen.setdefault(line.nick, None)
        return tuple(seen)

    def parents(self, number: int) -> tuple[int, ...]:
        """Earlier lines this line is linked to (what it replies to), in log order."""
        return tuple(sorted(a for a, b in self.links if b == number and a != b))


_MESSAGE = re.compile(r"^\[(\d{1,2}):(\d{2})\] <([^>]+)> ?(.*)$")
_ACTION = re.compile(r"^\[(\d{1,2}):(\d{2})\]\s+\*\s+(\S+)\s?(.*)$")
_STAMP = re.compile(r"^\[(\d{1,2}):(\d{2})\]")


def sample_day(sample: str) -> date:
    """The date in a sample name like ``2005-02-06.train-c`` (or a bare ``2005-02-06``)."""
    return date.fromisoformat(sample[:10])


def parse_raw_log(text: str, day: date) -> tuple[LogLine, ...]:
    """Parse a raw log into numbered lines.

    Logs only carry ``HH:MM``, so the date comes from the file name and rolls over to the next
    day whenever the clock goes backwards by more than an hour (a midnight crossing); small
    backwards steps happen in real logs and are kept on the same day.
    """
    lines: list[LogLine] = []
    current_day = datetime(day.year, day.month, day.day, tzinfo=UTC)
    last_at: datetime | None = None
    for number, raw in enumerate(text.splitlines()):
        line = _parse_line(number, raw, current_day)
        if line.at is not None:
            if last_at is not None and line.at < last_at - timedelta(hours=1):
                current_day += timedelta(days=1)
                line = _parse_line(number, raw, current_day)
            last_at = line.at
        lines.append(line)
    return tuple(lines)


def _parse_line(number: int, raw: str, day_start: datetime) -> LogLine:
    """Parse one raw line; anything that is not a message or an action is a system line."""
    raw = raw.rstrip("\r\n")
    if match := _MESSAGE.match(raw):
        hour, minute, nick, body = match.groups()
        nick = nick.strip()  # a few logged nicks carry a stray space: "<[optik] >"
        if nick:
            return LogLine(number, LineKind.MESSAGE, nick, body, _clock(day_start, hour, minute))
    if match := _ACTION.match(raw):
        hour, minute, nick, body = match.groups()
        return LogLine(number, LineKind.ACTION, nick, body, _clock(day_start, hour, minute))
    stamp = _STAMP.match(raw)
    at = _clock(day_start, *stamp.groups()) if stamp else None
    return LogLine(number, LineKind.SYSTEM, None, raw, at)


def _clock(day_start: datetime, hour: str, minute: str) -> datetime | None:
    """``day_start`` plus the clock time, or None for an impossible clock like ``[25:61]``."""
    h, m = int(hour), int(minute)
    if h > 23 or m > 59:
        return None
    return day_start + timedelta(hours=h, minutes=m)


def parse_links(text: str) -> tuple[tuple[int, int], ...]:
    """Parse ``A B -`` annotation lines into (smaller, larger) pairs; malformed lines are skipped.

    Each pair is ordered so that the first element is the earlier line, because the file does
    not promise an order and "what does B reply to" needs one.
    """
    pairs: list[tuple[int, int]] = []
    for raw in text.splitlines():
        parts = raw.split()
        if len(parts) < 2 or not (parts[0].isdigit() and parts[1].isdigit()):
            continue
        a, b = int(parts[0]), int(parts[1])
        pairs.append((min(a, b), max(a, b)))
    return tuple(pairs)


def parse_clusters(text: str) -> dict[str, list[tuple[int, ...]]]:
    """Parse ``gold.train.clusters.txt`` into {date stem: [sorted line numbers per thread]}."""
    clusters: dict[str, list[tuple[int, ...]]] = {}
    for raw in text.splitlines():
        head, sep, rest = raw.partition(":")
        if not sep:
            continue
        numbers = [int(tok) for tok in rest.split() if tok.isdigit()]
        if numbers:
            clusters.setdefault(head.strip(), []).append(tuple(sorted(numbers)))
    return clusters


def components(pairs: Iterable[tuple[int, int]]) -> list[tuple[int, ...]]:
    """Connected components of an undirected graph given as edges, each sorted, by first line."""
    parent: dict[int, int] = {}

    def find(x: int) -> int:
        parent.setdefault(x, x)
        root = x
        while parent[root] != root:
            root = parent[root]
        while parent[x] != root:  # path compression keeps long logs linear in practice
            parent[x], x = root, parent[x]
        return root

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    groups: dict[int, list[int]] = {}
    for node in parent:
        groups.setdefault(find(node), []).append(node)
    return sorted((tuple(sorted(g)) for g in groups.values()), key=lambda g: g[0])


def build_threads(
    sample: str,
    lines: Sequence[LogLine],
    links: Sequence[tuple[int, int]],
    groups: Iterable[Sequence[int]] | None = None,
) -> list[IrcThread]:
    """Turn line groups into threads of chat lines.

    ``groups`` defaults to the connected components of ``links``. System lines are dropped
    (the annotators linked joins and parts too), as are line numbers the log does not have,
    and threads left with no chat line at all.
    """
    by_number = {line.number: line for line in lines}
    threads: list[IrcThread] = []
    for group in components(links) if groups is None else groups:
        chat = tuple(
            by_number[n] for n in sorted(set(group)) if n in by_number and by_number[n].is_chat
        )
        if not chat:
            continue
        members = {line.number for line in chat}
        inner = tuple(sorted({(a, b) for a, b in links if a in members and b in members}))
        threads.append(IrcThread(sample=sample, lines=chat, links=inner))
    return threads


def list_samples(directory: Path) -> list[str]:
    """Sample names (``<date>.train-<x>``) that have both a raw log and annotations, sorted."""
    names = []
    for raw in sorted(directory.glob(f"*{RAW_SUFFIX}")):
        stem = raw.name[: -len(RAW_SUFFIX)]
        if (directory / f"{stem}{ANNOTATION_SUFFIX}").is_file():
            names.append(stem)
    return names


def _read(path: Path) -> str:
    """Read a log as UTF-8, replacing the odd invalid byte (a few 2010 logs contain some)."""
    return path.read_text(encoding="utf-8", errors="replace")


def load_sample(
    directory: Path, sample: str
) -> tuple[tuple[LogLine, ...], tuple[tuple[int, int], ...]]:
    """The parsed lines and links of one sample."""
    lines = parse_raw_log(_read(directory / f"{sample}{RAW_SUFFIX}"), sample_day(sample))
    links = parse_links(_read(directory / f"{sample}{ANNOTATION_SUFFIX}"))
    return lines, links


def iter_threads(
    directory: Path | str,
    *,
    structure: Structure = "links",
    years: range | None = None,
) -> Iterator[IrcThread]:
    """Yield every thread of every sample in ``directory``, sample by sample, in log order.

    ``years`` restricts the samples by the year in their name, so weights can be tuned on one
    period and checked on another.
    """
    directory = Path(directory)
    clusters: dict[str, list[tuple[int, ...]]] | None = None
    if structure == "clusters":
        clusters = parse_clusters(_read(directory / CLUSTERS_FILE))
    elif structure != "links":
        raise ValueError(f"unknown thread structure {structure!r}: use 'links' or 'clusters'")
    for sample in list_samples(directory):
        if years is not None and sample_day(sample).year not in years:
            continue
        lines, links = load_sample(directory, sample)
        groups = None
        if clusters is not None:
            groups = clusters.get(sample, clusters.get(sample[:10], []))
        yield from build_threads(sample, lines, links, groups)


def load_threads(
    directory: Path | str,
    *,
    structure: Structure = "links",
    years: range | None = None,
) -> list[IrcThread]:
    """All threads in ``directory`` as a list; see :func:`iter_threads`."""
    return list(iter_threads(directory, structure=structure, years=years))
