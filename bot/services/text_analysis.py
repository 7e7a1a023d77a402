"""Shared text normalisation: topic names and word tokens.

Routing, lessons and search all compare what members write, so they must agree on what counts
as "the same word" and "the same topic". This module is that single agreement, kept pure (no I/O,
no state) so any layer can import it.

Tokenising is delegated to ``bm25s`` (scikit-learn's word pattern plus its English stop-word
list) rather than a home-grown regex, so the tokens fed to the BM25 index are exactly the ones the
library was designed and tested with.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

import bm25s

__all__ = ["TopicNormaliser", "fold_plural", "normalise_topic", "normalise_topics", "tokenize"]

_SEPARATORS = re.compile(r"[\s_]+")
_EDGE_PUNCT = re.compile(r"^[^\w+#.]+|[^\w+#]+$")


def fold_plural(word: str) -> str:
    """Fold a simple English plural to its singular (``wallets`` -> ``wallet``).

    Deliberately conservative, because topic names are often product names that merely end in
    "s": words ending in ``ss``, ``us``, ``is`` or a bare ``es`` (``kubernetes``, ``postgres``,
    ``plutus``, ``redis``) and words of three letters or fewer (``aws``) are left alone. Only
    the last hyphen-separated part is folded (``smart-contracts`` -> ``smart-contract``).
    Anything this gets wrong can be pinned with an alias (see :func:`normalise_topic`).
    """
    head, sep, last = word.rpartition("-")
    if len(last) <= 3 or not last.isalpha():
        return word
    if last.endswith("ies") and len(last) > 4:
        last = last[:-3] + "y"
    elif last.endswith(("sses", "shes", "ches", "xes", "zzes")):
        last = last[:-2]
    elif last.endswith("es") or last.endswith(("ss", "us", "is")):
        return word
    elif last.endswith("s"):
        last = last[:-1]
    else:
        return word
    return f"{head}{sep}{last}"


def _canonical(topic: str) -> str:
    """Lower case, trimmed, inner blanks and underscores turned into single hyphens."""
    text = _SEPARATORS.sub("-", topic.strip().lower())
    text = _EDGE_PUNCT.sub("", text)
    return re.sub(r"-{2,}", "-", text).strip("-")


class TopicNormaliser:
    """Canonicalises topic names with a fixed alias map, prepared once.

    Steps: lower case; blanks and underscores become hyphens (``Smart Contracts`` ->
    ``smart-contracts``); an alias is looked up (``k8s`` -> ``kubernetes``); plurals are folded;
    the alias map is consulted once more on the folded form, so an alias written for the singular
    also catches the plural. Because the alias lookup happens *before* folding, an alias mapping a
    word to itself protects it from folding (``{"series": "series"}``). Alias keys and values are
    canonicalised the same way (values are not folded), so they may be written in any case.
    """

    __slots__ = ("_table",)

    def __init__(self, aliases: Mapping[str, str] | None = None) -> None:
        table = {_canonical(k): _canonical(v) for k, v in (aliases or {}).items()}
        self._table: dict[str, str] = {k: v for k, v in table.items() if k and v}

    def __call__(self, topic: str) -> str:
        """The canonical form of ``topic``, or ``""`` if nothing is left of it."""
        base = _canonical(topic)
        if not base:
            return ""
        if base in self._table:
            return self._table[base]
        folded = fold_plural(base)
        return self._table.get(folded, folded)

    def many(self, topics: Iterable[str]) -> tuple[str, ...]:
        """Normalise many topics, dropping empties and duplicates, keeping first-seen order."""
        seen: dict[str, None] = {}
        for topic in topics:
            name = self(topic)
            if name:
                seen.setdefault(name, None)
        return tuple(seen)


def normalise_topic(topic: str, aliases: Mapping[str, str] | None = None) -> str:
    """Canonical form of one topic (see :class:`TopicNormaliser` for the rules).

    Convenient for one-off calls; code normalising many topics with the same aliases should
    build a :class:`TopicNormaliser` once instead.
    """
    return TopicNormaliser(aliases)(topic)


def normalise_topics(
    topics: Iterable[str], aliases: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """Normalise many topics, dropping empties and duplicates, keeping first-seen order."""
    return TopicNormaliser(aliases).many(topics)


def tokenize(text: str) -> list[str]:
    """Split text into lower-case word tokens without English stop words.

    Words are runs of two or more word characters (so ``cardano-cli`` gives ``cardano`` and
    ``cli``); this is the tokeniser the BM25 index uses, exposed so other modules match it.
    """
    if not text:
        return []
    result = bm25s.tokenize([text], stopwords="en", return_ids=False, show_progress=False)
    return list(result[0]) if result else []
