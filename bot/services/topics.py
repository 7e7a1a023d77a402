"""Topics: one spelling for one subject, so that expertise and questions meet.

``K8s``, ``kubernetes`` and ``Kubernetes`` must be the same topic, and ``databases`` the same as
``database`` when the community already knows ``database``. Plurals are folded only against
topics the workspace already has: blind stemming would turn ``postgres`` into ``postgre`` and
``kubernetes`` into ``kubernete``.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Mapping

MAX_TOPIC_LENGTH = 50
_TAGS = re.compile(r"^\s*((?:\[[^\]\n]{1,60}\]\s*)+)")
_TAG = re.compile(r"\[([^\]\n]{1,60})\]")
_WORD = re.compile(r"[a-z0-9][a-z0-9+#._-]*[a-z0-9+#]|[a-z0-9]")


def clean_topic(raw: str) -> str:
    """Lower case, inner spaces as hyphens, stray punctuation trimmed: ``Machine Learning``
    -> ``machine-learning``. Empty when nothing usable is left."""
    text = raw.strip().lower().lstrip("#")
    text = re.sub(r"\s+", "-", text)
    text = re.sub(r"[^a-z0-9+#._-]", "", text).strip("-._")
    return text[:MAX_TOPIC_LENGTH]


def normalise_topic(
    raw: str, known: Iterable[str] = (), aliases: Mapping[str, str] | None = None
) -> str:
    """The workspace's spelling of a topic: aliases first, then plurals folded onto known ones."""
    topic = clean_topic(raw)
    if not topic:
        return ""
    aliases = aliases or {}
    if topic in aliases:
        return aliases[topic]
    known_set = known if isinstance(known, set | frozenset) else set(known)
    if topic in known_set:
        return topic
    for singular in _singulars(topic):
        if singular in aliases:
            return aliases[singular]
        if singular in known_set:
            return singular
    return topic


def _singulars(topic: str) -> list[str]:
    candidates = []
    if topic.endswith("ies") and len(topic) > 4:
        candidates.append(topic[:-3] + "y")
    if topic.endswith("es") and len(topic) > 3:
        candidates.append(topic[:-2])
    if topic.endswith("s") and len(topic) > 2:
        candidates.append(topic[:-1])
    return candidates


def split_topics(
    text: str, known: Iterable[str] = (), aliases: Mapping[str, str] | None = None
) -> list[str]:
    """``postgres, K8s; testing`` -> ``["postgres", "kubernetes", "testing"]`` (order kept)."""
    known_set = set(known)
    seen: dict[str, None] = {}
    for part in re.split(r"[,;\n]+", text):
        topic = normalise_topic(part, known_set, aliases)
        if topic:
            seen.setdefault(topic, None)
    return list(seen)


def explicit_tags(text: str) -> tuple[list[str], str]:
    """Leading ``[postgres] [ops] why does...`` -> (["postgres", "ops"], "why does...")."""
    match = _TAGS.match(text)
    if not match:
        return [], text.strip()
    tags = [tag.strip() for tag in _TAG.findall(match.group(1)) if tag.strip()]
    return tags, text[match.end() :].strip()


def topics_in_text(
    text: str, known: Iterable[str], aliases: Mapping[str, str] | None = None
) -> list[str]:
    """The known topics (and aliases) a question mentions, as words or hyphenated phrases.

    ``How do I vacuum a Postgres table on k8s?`` with known {postgres, kubernetes} ->
    [postgres, kubernetes]. Two-word phrases are matched too (``machine learning``).
    """
    aliases = aliases or {}
    known_set = set(known)
    words = _WORD.findall(text.lower())
    found: dict[str, None] = {}
    grams = words + [f"{a}-{b}" for a, b in itertools.pairwise(words)]
    for gram in grams:
        topic = normalise_topic(gram, known_set, aliases)
        if topic in known_set:
            found.setdefault(topic, None)
    return list(found)
