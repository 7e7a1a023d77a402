"""Load a Stack Exchange site folder (the public data dump's XML) into plain Python objects.

The benchmarks replay a real community in time order, so this loader keeps what any of them may
need and nothing tied to one benchmark: questions (title, text body, tags, creation time, owner,
accepted answer), answers (parent, owner, time, score, text body), post links (related and
duplicate questions), users and tags. Bodies are HTML in the dump; they are decoded to plain text
with the standard library's HTML parser so that lexical models see words, not markup.

Files are streamed with ``iterparse`` and each row is cleared once read, so even a large site does
not hold the XML tree in memory. Only ``Posts.xml`` is required; ``Users.xml``, ``Tags.xml`` and
``PostLinks.xml`` are read when present, because not every dump or extract ships them.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

__all__ = [
    "LINK_DUPLICATE",
    "LINK_RELATED",
    "Answer",
    "PostLink",
    "Question",
    "Site",
    "Tag",
    "User",
    "html_to_text",
    "load_site",
    "parse_tags",
    "parse_timestamp",
]

LINK_RELATED = 1
LINK_DUPLICATE = 3

QUESTION_TYPE = "1"
ANSWER_TYPE = "2"

# Tags that end a line of text: without a break here, "</p><p>" would glue two words together.
_BLOCK_TAGS = frozenset(
    {
        "p",
        "br",
        "div",
        "li",
        "ul",
        "ol",
        "pre",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "tr",
        "td",
        "th",
        "table",
        "hr",
    }
)


class _TextExtractor(HTMLParser):
    """Collects the text of an HTML fragment, with line breaks at block boundaries.

    Code blocks are kept (by default) because in technical communities identifiers such as
    ``cardano-cli`` or ``utxo`` are often the most telling words of a question.
    """

    def __init__(self, *, keep_code: bool) -> None:
        super().__init__(convert_charrefs=True)
        self._keep_code = keep_code
        self._code_depth = 0
        self._parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self._parts.append("\n")
        if tag in ("pre", "code"):
            self._code_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("pre", "code") and self._code_depth > 0:
            self._code_depth -= 1
        if tag in _BLOCK_TAGS:
            self._parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._code_depth and not self._keep_code:
            return
        self._parts.append(data)

    def text(self) -> str:
        raw = "".join(self._parts)
        lines = (re.sub(r"[ \t\r\f\v]+", " ", line).strip() for line in raw.split("\n"))
        return "\n".join(line for line in lines if line)


def html_to_text(html: str, *, keep_code: bool = True) -> str:
    """Decode a post's HTML body to plain text (entities resolved, tags dropped)."""
    if not html:
        return ""
    parser = _TextExtractor(keep_code=keep_code)
    parser.feed(html)
    parser.close()
    return parser.text()


_TAG_ANGLE = re.compile(r"<([^<>]+)>")


def parse_tags(raw: str | None) -> tuple[str, ...]:
    """Split a dump's ``Tags`` attribute into tag names.

    Older dumps write ``<a><b>``, newer ones ``|a|b|``; both are accepted so the loader works on
    any site's dump.
    """
    if not raw:
        return ()
    if "<" in raw:
        return tuple(t.strip() for t in _TAG_ANGLE.findall(raw) if t.strip())
    return tuple(t.strip() for t in raw.split("|") if t.strip())


def parse_timestamp(raw: str) -> datetime:
    """Parse a dump timestamp (ISO 8601, UTC, no zone suffix) into an aware UTC datetime."""
    value = datetime.fromisoformat(raw.rstrip("Z"))
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _opt_int(raw: str | None) -> int | None:
    if raw is None or raw == "":
        return None
    return int(raw)


def _owner(raw: str | None) -> int | None:
    """An author id, or None for deleted or anonymous authors (absent, or the -1 Community bot)."""
    value = _opt_int(raw)
    return None if value is None or value < 0 else value


@dataclass(frozen=True, slots=True)
class Question:
    """A question as the community saw it (the dump's latest revision).

    ``title`` is plain text (titles are not HTML in the dump); ``body`` is the decoded HTML body.
    """

    id: int
    title: str
    body: str
    tags: tuple[str, ...]
    created: datetime
    owner_id: int | None
    accepted_answer_id: int | None
    score: int
    view_count: int = 0
    closed: datetime | None = None

    @property
    def text(self) -> str:
        """Title and body together: what a reader sees when the question is asked."""
        return f"{self.title}\n{self.body}" if self.body else self.title


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer to a question; ``owner_id`` is None when its author is unknown."""

    id: int
    parent_id: int
    owner_id: int | None
    created: datetime
    score: int
    body: str


@dataclass(frozen=True, slots=True)
class PostLink:
    """A link between two posts: ``post_id`` links to ``related_post_id`` (1 related, 3 dup)."""

    id: int
    post_id: int
    related_post_id: int
    link_type: int
    created: datetime


@dataclass(frozen=True, slots=True)
class User:
    """A member of the site (only the fields a benchmark may plausibly need)."""

    id: int
    display_name: str
    reputation: int
    created: datetime | None


@dataclass(frozen=True, slots=True)
class Tag:
    """A tag and the number of questions carrying it, as counted by the dump."""

    id: int
    name: str
    count: int


@dataclass(slots=True)
class Site:
    """One site's posts, users, tags and links.

    ``questions`` and ``answers`` are kept sorted by creation time (then id) because every
    benchmark replays the site in time order.
    """

    name: str
    questions: list[Question] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    links: list[PostLink] = field(default_factory=list)
    users: dict[int, User] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    # Caches for the properties below (slots=True forbids functools.cached_property).
    _by_id: dict[int, Question] | None = field(default=None, init=False, repr=False, compare=False)
    _by_parent: dict[int, list[Answer]] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def question_by_id(self) -> dict[int, Question]:
        if self._by_id is None:
            self._by_id = {q.id: q for q in self.questions}
        return self._by_id

    @property
    def answers_by_question(self) -> dict[int, list[Answer]]:
        """Answers grouped by the question they answer, each list in time order."""
        if self._by_parent is None:
            grouped: dict[int, list[Answer]] = {}
            for answer in self.answers:
                grouped.setdefault(answer.parent_id, []).append(answer)
            self._by_parent = grouped
        return self._by_parent

    def accepted_answer(self, question: Question) -> Answer | None:
        """The accepted answer of ``question``, if any and if it is in the dump."""
        if question.accepted_answer_id is None:
            return None
        for answer in self.answers_by_question.get(question.id, ()):
            if answer.id == question.accepted_answer_id:
                return answer
        return None


def _rows(path: Path) -> Iterator[dict[str, str]]:
    """Yield each ``<row>``'s attributes, freeing the element once read."""
    for _event, element in ET.iterparse(path, events=("end",)):
        if element.tag == "row":
            yield dict(element.attrib)
            element.clear()


def _load_posts(path: Path, *, keep_code: bool) -> tuple[list[Question], list[Answer]]:
    questions: list[Question] = []
    answers: list[Answer] = []
    for row in _rows(path):
        kind = row.get("PostTypeId")
        if kind == QUESTION_TYPE:
            closed = row.get("ClosedDate")
            questions.append(
                Question(
                    id=int(row["Id"]),
                    title=row.get("Title", "").strip(),  # plain text, not HTML
                    body=html_to_text(row.get("Body", ""), keep_code=keep_code),
                    tags=parse_tags(row.get("Tags")),
                    created=parse_timestamp(row["CreationDate"]),
                    owner_id=_owner(row.get("OwnerUserId")),
                    accepted_answer_id=_opt_int(row.get("AcceptedAnswerId")),
                    score=int(row.get("Score", "0") or 0),
                    view_count=int(row.get("ViewCount", "0") or 0),
                    closed=parse_timestamp(closed) if closed else None,
                )
            )
        elif kind == ANSWER_TYPE and row.get("ParentId"):
            answers.append(
                Answer(
                    id=int(row["Id"]),
                    parent_id=int(row["ParentId"]),
                    owner_id=_owner(row.get("OwnerUserId")),
                    created=parse_timestamp(row["CreationDate"]),
                    score=int(row.get("Score", "0") or 0),
                    body=html_to_text(row.get("Body", ""), keep_code=keep_code),
                )
            )
    questions.sort(key=lambda q: (q.created, q.id))
    answers.sort(key=lambda a: (a.created, a.id))
    return questions, answers


def _load_users(path: Path) -> dict[int, User]:
    users: dict[int, User] = {}
    for row in _rows(path):
        created = row.get("CreationDate")
        user = User(
            id=int(row["Id"]),
            display_name=row.get("DisplayName", ""),
            reputation=int(row.get("Reputation", "0") or 0),
            created=parse_timestamp(created) if created else None,
        )
        users[user.id] = user
    return users


def _load_tags(path: Path) -> dict[str, Tag]:
    tags: dict[str, Tag] = {}
    for row in _rows(path):
        tag = Tag(id=int(row["Id"]), name=row["TagName"], count=int(row.get("Count", "0") or 0))
        tags[tag.name] = tag
    return tags


def _load_links(path: Path) -> list[PostLink]:
    links = [
        PostLink(
            id=int(row["Id"]),
            post_id=int(row["PostId"]),
            related_post_id=int(row["RelatedPostId"]),
            link_type=int(row["LinkTypeId"]),
            created=parse_timestamp(row["CreationDate"]),
        )
        for row in _rows(path)
    ]
    links.sort(key=lambda link: (link.created, link.id))
    return links


def load_site(folder: str | Path, *, keep_code: bool = True) -> Site:
    """Load a site folder holding ``Posts.xml`` and, optionally, Users/Tags/PostLinks XML.

    The site's name is the folder's name (by convention its domain, e.g.
    ``cardano.stackexchange.com``), used for attribution links.
    """
    root = Path(folder)
    posts = root / "Posts.xml"
    if not posts.is_file():
        raise FileNotFoundError(f"{posts} not found: is {root} a Stack Exchange site folder?")
    questions, answers = _load_posts(posts, keep_code=keep_code)
    site = Site(name=root.resolve().name, questions=questions, answers=answers)
    if (root / "Users.xml").is_file():
        site.users = _load_users(root / "Users.xml")
    if (root / "Tags.xml").is_file():
        site.tags = _load_tags(root / "Tags.xml")
    if (root / "PostLinks.xml").is_file():
        site.links = _load_links(root / "PostLinks.xml")
    return site
