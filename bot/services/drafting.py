"""Draft a lesson from a chat thread, extractively.

A community learns things in threads: someone asks, others help, and the asker says it worked.
Capturing the lesson should cost a member one edit, not a rewrite, so copbot proposes a draft:
a title and context from the asker's own problem statement, and a "what we learned" section made
of the helpers' sentences that carry the fix (commands, paths, settings, instructions), quoted as
written so that nothing is invented. The member edits the draft before it is saved.

Everything here is pure: the standard library and the core's own pure modules (errors, topics),
no database, no chat platform, no model. That keeps drafting fast, predictable, testable and the
same on Slack and Discord. The scoring is a handful
of transparent cues rather than learned weights because threads are short, the member reviews
the result, and a cue that misfires can be read and fixed.

Privacy rule: members who turned capture off (``excluded_authors``) are never quoted and never
named, not even when someone else addresses them by name.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.errors import UserError
from bot.services.topics import topics_in_text

__all__ = [
    "EmptyThreadError",
    "LessonDraft",
    "ThreadMessage",
    "draft_lesson",
    "is_confirmation",
    "is_small_talk",
    "make_title",
    "split_sentences",
]

MAX_TITLE_CHARS = 80
MAX_SENTENCE_CHARS = 400
MAX_CONTEXT_SENTENCES = 3
MAX_CONTEXT_CHARS = 600
MAX_TAGS = 5
UNTITLED = "Untitled lesson"
_LEARNED_THRESHOLD = 1.0
"""Score a helper sentence needs to be quoted next to a better one."""
_FALLBACK_THRESHOLD = -0.5
"""Score the best sentence needs to be quoted at all when none reaches the threshold: a weak
draft the member can fix beats an empty one, but a hedge is no lesson."""
_CUE_THRESHOLD = 1.0
"""Fix-cue score (command, instruction, link...) a second or third sentence needs of its own."""
_AFTER_CONFIRMATION = 99
"""Helper messages treated as coming after this many later answers: no "latest" bonus."""


class EmptyThreadError(UserError, ValueError):
    """The thread holds nothing a lesson could be drafted from.

    Raised for an empty thread, or one whose every message is blank or written by members who
    turned capture off. It is a :class:`~bot.errors.UserError`, so the error boundary turns it
    into a one-line reply, and a ValueError for callers that only know the standard library.
    """

    def __init__(self) -> None:
        super().__init__(
            "There is nothing in this thread to draft a lesson from.",
            hint="Try a thread with an answer in it, or write the lesson by hand.",
        )


@dataclass(frozen=True)
class ThreadMessage:
    """One chat message as the platform adapter hands it over, in thread order."""

    author: str
    text: str
    at: datetime


@dataclass(frozen=True)
class LessonDraft:
    """A proposed lesson, for the member to edit before saving.

    ``learned_sources[i]`` is the index (in the messages given to :func:`draft_lesson`) of the
    message ``learned[i]`` was quoted from, so the bot can link back to it and the bench can
    check whether the right message was chosen. ``context_sources`` does the same for the
    context sentences.
    """

    title: str
    context: str
    learned: tuple[str, ...]
    contributors: tuple[str, ...]
    tags: tuple[str, ...]
    learned_sources: tuple[int, ...]
    context_sources: tuple[int, ...] = ()


# --- recognising small talk and confirmations -------------------------------------------------

_THANKS = re.compile(
    r"\b(?:thanks?|thank\s*(?:you|u|ya|yo)|thanx|thnx|thnks|thks|thx|tnx|ty|tyvm|tysm|"
    r"cheers|danke|merci|gracias|much\s+appreciated|appreciate\s+it)\b",
    re.IGNORECASE,
)
_WORKED = re.compile(
    r"\b(?:(?:that|this|it|which|yours|your\s+(?:fix|tip|idea|suggestion|command|way))\s+"
    r"(?:(?:really|totally|finally|actually|indeed|seems\s+to\s+have|has|have)\s+)?"
    r"(?:worked|works|work(?=\s*[!.:)]*$)|did\s+it|did\s+the\s+trick|fixed\s+it|solved\s+it|"
    r"helped)|works?\s+now|(?:working|fixed|solved|sorted)\s+now|"
    r"(?:it'?s|its|it\s+is|that'?s|all)\s+(?:working|fixed|solved|sorted)|"
    r"(?:fixed|solved|sorted)\s+it|got\s+it\s+(?:working|to\s+work)|nailed\s+it|"
    r"problem\s+solved)\b",
    re.IGNORECASE,
)
_CONTRAST = re.compile(
    r"\b(?:but|except|before|until|however|though|although|only\s+(?:when|if|as)|when\s+i|"
    r"if\s+i|in\s+(?:windows|xp|vista|gentoo|fedora|suse|mac)|under\s+windows|"
    r"(?:worked|works)\s+(?:fine|well|great|ok)\s+(?:in|on|with|as|at|for|from|under))\b",
    re.IGNORECASE,
)
_ONLY_FIXED = re.compile(r"^\W*(?:fixed|solved|works|worked|perfect|bingo|yay)\W*$", re.IGNORECASE)
_NOT_CONFIRMED = re.compile(
    r"\b(?:no\s+thanks|thanks?\s+(?:any\s*ways?|though)|no\s+luck|not\s+(?:yet\s+)?"
    r"(?:working|work|worked|fixed|solved|helping|helped)|still\s+(?:not|doesn'?t|won'?t|broken|"
    r"the\s+same|no)|(?:didn'?t|doesn'?t|dont|don'?t|does\s+not|did\s+not|won'?t|isn'?t|wasn'?t|"
    r"never|nothing)\s+(?:\w+\s+)?(?:work|works|worked|working|fix|fixed|help|helped|change))\b",
    re.IGNORECASE,
)


def is_confirmation(text: str) -> bool:
    """True when a message thanks someone or says the fix worked ("thanks!", "that did it").

    This is the rough signal that a thread was solved: the bot uses it to offer capturing a
    lesson and the drafter to find the answer the asker confirmed. Polite failures ("thanks
    anyway", "didn't work, thanks") and questions ("did that work?") are not confirmations.
    """
    if not isinstance(text, str) or not text.strip():
        return False
    if _NOT_CONFIRMED.search(text):
        return False
    if _THANKS.search(text):
        return True
    if text.rstrip().endswith("?") or _CONTRAST.search(text):
        return False  # "did it work?", "it worked before", "works fine in windows, but..."
    return bool(_WORKED.search(text) or _ONLY_FIXED.match(text))


def _vocabulary(words: str) -> frozenset[str]:
    """A set of words written as one readable block of text."""
    return frozenset(words.split())


_SOCIAL_WORDS = _vocabulary(
    """
    hi hello hey heya hiya yo howdy sup morning evening afternoon night gm good day all everyone
    everybody guys folks people peeps room channel there thanks thank thankyou you u ya thx ty tyvm
    thanx cheers np yw welcome ok okay k kk oki okey alright cool nice great sure yes yeah yep yup
    ya no nope nah lol lmao rofl haha hah heh hehe hihi ah aha oh ohh ooh hmm hm mm uh um er erm wow
    brb bbl bye cya later see gn nite afk back wb re me too same here agreed agree indeed right
    true exactly awesome perfect excellent fine much lot a alot so very really again anyway man
    dude mate sir bro buddy friend for the your help helping it that this works worked
    +1 ++ 1 +
    """
)
_WORD = re.compile(r"[\w'+]+")


def is_small_talk(text: str, names: Collection[str] = ()) -> bool:
    """True for greetings, thanks, "+1", "ok", "lol" and the like: never part of a lesson.

    ``names`` are participants' names, so "thanks bob" is recognised as small talk too.
    """
    if not isinstance(text, str):
        return True
    folded_names = {n.casefold() for n in names}
    words = [w.strip("'").casefold() for w in _WORD.findall(text)]
    words = [w for w in words if w]
    if not words:
        return True  # punctuation, emoji or nothing at all
    return all(w in _SOCIAL_WORDS or w in folded_names for w in words)


# --- cleaning and splitting text ---------------------------------------------------------------

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SLACK_LINK = re.compile(r"<((?:https?|mailto|ftp)://[^|>\s]+)(?:\|[^>]*)?>")
_SLACK_MENTION = re.compile(r"<([@#!])[!&]?([\w.-]+)(?:\|([^>]*))?>")
_CUSTOM_EMOJI = re.compile(r"<a?:\w+:\d+>|(?<!\S):[a-z0-9_+-]+:(?!\S)")
_FENCE = re.compile(r"```[^\n`]*\n?(.*?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_URL = re.compile(r"\b(?:https?://|ftp://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]'`]", re.IGNORECASE)
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+")
_ABBREVIATIONS = _vocabulary(
    "e.g i.e etc vs approx cf fig no nr mr mrs ms dr st sr jr inc ltd co ca al"
)
_CODE_LINES = 12


def _normalise(text: str, excluded: Collection[str] = ()) -> str:
    """Turn platform markup into plain chat text: links to URLs, mentions to @names.

    A mention of an excluded member keeps its id rather than its display name, so that the
    redaction, which knows members by the ids the adapter gives as authors, still finds it.
    """
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SLACK_LINK.sub(r"\1", text)

    def mention(match: re.Match[str]) -> str:
        sigil, member, label = match.group(1), match.group(2), match.group(3)
        sigil = "#" if sigil == "#" else "@"
        if not label or member.casefold() in excluded:
            return sigil + member
        return sigil + label

    text = _SLACK_MENTION.sub(mention, text)
    return _CUSTOM_EMOJI.sub("", text)


def split_sentences(text: str) -> list[str]:
    """Split a message into sentences without breaking code, paths, URLs or versions.

    Chat has little punctuation, so a line break also ends a sentence. A fenced code block is
    kept whole as one "sentence" because a command listing is one instruction.
    """
    if not isinstance(text, str):
        return []
    text = _normalise(text)
    kept: list[str] = []

    def protect(match: re.Match[str]) -> str:
        kept.append(match.group(0))
        return f"\ue000{len(kept) - 1}\ue001"

    def restore(chunk: str) -> str:
        return _PLACEHOLDER.sub(lambda m: kept[int(m.group(1))], chunk)

    sentences: list[str] = []
    pieces = _FENCE.split(text)
    # _FENCE has one group, so split alternates: prose, code body, prose, code body, ...
    for number, piece in enumerate(pieces):
        if number % 2 == 1:
            body = "\n".join(piece.strip("\n").splitlines()[:_CODE_LINES]).strip()
            if body:
                sentences.append(f"```\n{body}\n```")
            continue
        protected = _URL.sub(protect, _INLINE_CODE.sub(protect, piece))
        for line in protected.split("\n"):
            sentences.extend(restore(s) for s in _split_line(line))
    return [s for s in sentences if s.strip()]


def _split_line(line: str) -> list[str]:
    """Split one line at sentence ends, keeping abbreviations like "e.g." together.

    A one-word tail without punctuation stays with the sentence before it: it is far more often
    the end of a command (`... echo "done!" fi`) than a sentence of its own.
    """
    parts: list[str] = []
    start = 0
    for match in _SENTENCE_END.finditer(line):
        candidate = line[start : match.start()]
        last_word = candidate.rsplit(None, 1)[-1].rstrip(".").casefold() if candidate else ""
        if last_word in _ABBREVIATIONS:
            continue
        parts.append(line[start : match.end()].strip())
        start = match.end()
    tail = line[start:].strip()
    if parts and tail and len(tail.split()) == 1 and tail[-1].isalnum():
        parts[-1] = f"{parts[-1]} {tail}"
    elif tail:
        parts.append(tail)
    return [p for p in parts if p]


def _clip(text: str, limit: int) -> str:
    """Shorten text to at most ``limit`` characters at a word boundary, marking the cut."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "…"


# --- the sentences of a thread -----------------------------------------------------------------


@dataclass(frozen=True)
class _Sentence:
    """A sentence of the thread with what scoring needs to know about where it came from."""

    source: int  # index of the message in the caller's sequence
    order: int  # position of the message among the included ones (0 = first)
    author: str
    text: str
    addressee: str | None  # the participant the message was addressed to, if it says so
    quoted: bool  # a "> " quote of someone else's words


_ADDRESS = re.compile(r"^\s*@?([^\s:,;>]+)\s*[:,;>]?\s+", re.UNICODE)


def _strip_addressees(text: str, names: Mapping[str, str]) -> tuple[str, str | None]:
    """Remove leading "nick:" / "@nick," forms naming a participant; return the first one.

    Chat answers are addressed ("bob: run ...") and the address is noise in a lesson, but it is
    a strong cue that the sentence answers the asker. Only names of participants are stripped,
    so "Note: ..." survives.
    """
    addressee: str | None = None
    for _ in range(3):
        match = _ADDRESS.match(text)
        if not match:
            break
        word = match.group(1).rstrip(".!").casefold()
        if word not in names:
            break
        addressee = addressee or names[word]
        text = text[match.end() :]
    return text, addressee


def _redactor(excluded: Collection[str]) -> re.Pattern[str] | None:
    """A pattern matching mentions of excluded members inside other people's sentences."""
    names = sorted({n for n in excluded if len(n) >= 3}, key=len, reverse=True)
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"(?<![\w@])@?(?:{alternatives})(?![\w])", re.IGNORECASE)


def _sentences(
    messages: Sequence[ThreadMessage],
    included: Sequence[int],
    names: Mapping[str, str],
    redact: re.Pattern[str] | None,
    excluded: Collection[str],
) -> list[_Sentence]:
    """All sentences of the included messages, cleaned for quoting."""
    out: list[_Sentence] = []
    for order, index in enumerate(included):
        message = messages[index]
        text, addressee = _strip_addressees(_normalise(_text(message), excluded), names)
        if addressee is not None and addressee.casefold() in excluded:
            addressee = None
        for raw in split_sentences(text):
            quoted = raw.startswith(">")
            sentence = raw.lstrip("> ").strip() if quoted else raw
            sentence = _GREETING.sub("", sentence, count=1) or sentence
            if redact is not None:
                sentence = redact.sub("someone", sentence)
            sentence = _clip(sentence, MAX_SENTENCE_CHARS)
            if sentence:
                out.append(_Sentence(index, order, _author(message), sentence, addressee, quoted))
    return out


def _text(message: ThreadMessage) -> str:
    """The message text, or "" for anything that is not text (adapters can be wrong)."""
    text = getattr(message, "text", "")
    return text if isinstance(text, str) else ""


def _author(message: object) -> str:
    """The message author as a string ("" if missing), so odd input cannot crash drafting."""
    author = getattr(message, "author", "")
    return author if isinstance(author, str) else str(author or "")


# --- scoring -----------------------------------------------------------------------------------

_COMMAND = re.compile(
    r"`[^`]+`|```|(?:^|[\s(\"'])(?:sudo|apt-get|apt|aptitude|dpkg|snap|pip3?|npm|yarn|brew|"
    r"systemctl|service|journalctl|modprobe|lsmod|lspci|lsusb|dmesg|grep|chmod|chown|mount|"
    r"umount|ln|cp|mv|rm|mkdir|cat|echo|export|kill|killall|ps|git|docker|kubectl|make|"
    r"gcc|python3?|ssh|scp|rsync|curl|wget|tar|update-grub|grub-install|nano|vim?|gedit|kate|"
    r"ifconfig|iwconfig|ip|nmcli|ufw|iptables|crontab|fdisk|gparted|blkid|mkfs|fsck)"
    r"\s+[-\w./~\"']|\s--?[a-zA-Z][\w-]*"
)
_PATH = re.compile(
    r"(?:^|[\s(\"'=])(?:~|\.{1,2})?/[\w.@-]+(?:/[\w.@*-]*)*|\b[\w-]+\.(?:conf|cfg|"
    r"ini|list|ya?ml|json|toml|sh|py|rc|log|d|service|desktop|txt)\b"
)
_SETTING = re.compile(r"\b[\w.-]+\s?=\s?[\"']?[\w./-]+|\bOption\s+\"")
_INSTRUCTION = re.compile(
    r"\b(?:you(?:'ll|\s+will|'d|\s+would)?\s+(?:need|have|want|must|should|can|could|might)|"
    r"you\s+(?:just|simply|only)|make\s+sure|be\s+sure|don'?t\s+forget|remember\s+to|"
    r"the\s+(?:fix|solution|trick|answer|problem|issue|cause|reason|way)\s+(?:is|was)|"
    r"(?:it'?s|that'?s|this\s+is)\s+because|because|instead|otherwise|in\s+order\s+to|"
    r"should\s+(?:work|fix|do)|will\s+(?:work|fix|do\s+it)|works?\s+for\s+me|"
    r"i\s+(?:use|used|fixed|solved|had\s+to|recommend|suggest)|is\s+(?:called|in|at|under))\b",
    re.IGNORECASE,
)
_IMPERATIVES = _vocabulary(
    """
    try run use install reinstall remove uninstall purge edit add type open go check set enable
    disable change put reboot restart boot load unload mount unmount umount update upgrade
    download copy move delete rename create make select click press hit choose look read see
    follow switch plug unplug append replace compile configure start stop kill comment uncomment
    apply paste drag right-click double-click log login logout sign search google grep find
    download uncheck tick untick disconnect connect reset format partition chmod chown sudo
    just simply first then also maybe perhaps
    """
)
_SUGGESTION = re.compile(
    r"^(?:(?:did|have|has)\s+(?:you|u)\s+(?:just\s+|already\s+|ever\s+|even\s+)?"
    r"(?:tried|try|installed|install|checked|check|enabled|enable|run|ran|used|use|looked|"
    r"set|added|add|rebooted|reboot|restarted|restart|updated|update|upgraded|edited|edit|"
    r"removed|remove|configured|disabled|disable|loaded|mounted|plugged|compiled|read|seen|"
    r"followed|raised|turned|switched|selected|changed|change)|why\s+not|how\s+about|"
    r"what\s+about|maybe|perhaps|could\s+you\s+try|can\s+you\s+try)\b",
    re.IGNORECASE,
)
_UNSURE = re.compile(
    r"\b(?:i\s+(?:don'?t|do\s+not|dont)\s+know|no\s+idea|not\s+sure|dunno|no\s+clue|"
    r"can'?t\s+help|wouldn'?t\s+know|i\s+have\s+no|never\s+used|sorry|good\s+luck)\b",
    re.IGNORECASE,
)
_CHATTER = re.compile(
    r"^\s*!\w|^\W*(?:\+1|me\s+too|same\s+(?:here|problem|issue|for\s+me)|i\s+have\s+the\s+same)|"
    r"paste\s*bin|paste\.|pastie|dpaste|hastebin|gist\.github|termbin|"
    r"\bpaste\s+(?:it|the|that|your|them|all|in)\b|\bdon'?t\s+(?:flood|paste)|"
    r"\bask\s+to\s+ask|\bjust\s+ask\b|"
    r"\brepeat\s+(?:your|the)\s+question|\bi\s+(?:can|could|might\s+be\s+able\s+to)\s+help\b|"
    r"\bask\s+away\b|\bbe\s+patient|#ubuntu-offtopic|\bwrong\s+channel",
    re.IGNORECASE,
)
_ASKER_FIX = re.compile(
    r"\b(?:(?:fixed|solved|sorted)\s+it\s+(?:by|with)|turns\s+out|the\s+(?:fix|solution|problem|"
    r"issue)\s+was|what\s+(?:worked|fixed\s+it)|i\s+had\s+to|the\s+trick\s+was)\b",
    re.IGNORECASE,
)
_PROBLEM = re.compile(
    r"\b(?:error|errors|fail|fails|failed|failing|can'?t|cannot|unable|won'?t|doesn'?t|does\s+not|"
    r"isn'?t|not\s+working|broken|break|crash|crashes|freeze|freezes|hang|hangs|stuck|problem|"
    r"issue|trouble|help|how|why|what|where|which|is\s+there|any\s+way|anyone|anybody|need|want|"
    r"trying)\b",
    re.IGNORECASE,
)


def _words(text: str) -> list[str]:
    """Lower-cased words, for length and first-word checks."""
    return [w.casefold() for w in _WORD.findall(text)]


def _has_code(text: str) -> bool:
    """True when a sentence contains a command, path, setting or link: the stuff of fixes."""
    return bool(
        _COMMAND.search(text) or _PATH.search(text) or _SETTING.search(text) or _URL.search(text)
    )


@dataclass(frozen=True)
class _Weights:
    """The weight of each cue in :func:`_content_score` and :func:`_place_score`.

    Kept in one place so a bench can vary them. Chosen by reading threads, then checked on the
    2004-2010 IRC samples only (``bench/lessons.py``); the later samples are held out. ``latest``
    is large because in annotated threads the message an asker thanks is the last answer before
    the thanks four times out of five; the content cues still let a clear command or instruction
    in the answer before it win over a closing remark. ``too_short`` is 0 because one-word
    answers ("iptables") are real answers.
    """

    command: float = 2.0
    path_or_setting: float = 1.5
    link: float = 1.5
    instruction: float = 1.5
    imperative: float = 1.5
    suggestion: float = 1.0
    question: float = -1.0
    unsure: float = -1.0
    too_short: float = 0.0
    substantial: float = 0.5
    to_asker: float = 2.0
    to_someone_else: float = -1.5
    recency: float = 0.75
    latest: float = 6.0
    confirmed: float = 6.0


_WEIGHTS = _Weights()
_QUESTION_START = re.compile(
    r"^(?:(?:what|where|which|who|whose|why|how|when)\b(?!\s+about\b)|"
    r"(?:do|does|did|is|are|was|were|can|could|would|will|has|have|am|should)\s+(?:you|u|i|we|"
    r"they|it|he|she|that|this|there|anyone|anybody|someone|somebody|your|the|ur)\b)",
    re.IGNORECASE,
)


def _is_question(text: str) -> bool:
    """A question, with or without its "?": chat often drops it ("where did you get it")."""
    return text.rstrip().endswith("?") or bool(_QUESTION_START.match(text))


def _is_bare_question(text: str) -> bool:
    """A question that teaches nothing by itself: no suggestion, no command, path or link.

    "What version are you on?" is how helpers diagnose, not what was learned; "have you tried
    `sudo apt update`?" and "is it in /etc/fstab?" carry the fix and stay quotable.
    """
    return _is_question(text) and not _SUGGESTION.search(text) and not _has_code(text)


def _content_score(text: str) -> float:
    """How much a helper's sentence reads like a fix, whatever its place in the thread.

    Commands, paths, settings and links; instructions ("you need to", an imperative verb,
    "have you tried"). Questions and hedges ("no idea") count against.
    """
    w = _WEIGHTS
    words = _words(text)
    score = 0.0
    if _COMMAND.search(text):
        score += w.command
    elif _PATH.search(text) or _SETTING.search(text):
        score += w.path_or_setting
    if _URL.search(text):
        score += w.link
    if _INSTRUCTION.search(text):
        score += w.instruction
    if words and words[0] in _IMPERATIVES:
        score += w.imperative
    if _SUGGESTION.search(text):
        score += w.suggestion
    elif _is_question(text):
        score += w.question
    if _UNSURE.search(text):
        score += w.unsure
    if len(words) < 3 and not _has_code(text):
        score += w.too_short
    elif len(words) >= 6:
        score += w.substantial
    return score


def _place_score(
    sentence: _Sentence, asker_key: str, total: int, confirmed: int | None, later_answers: int
) -> float:
    """How much a sentence's place says it is the answer.

    The message the asker confirmed counts most. Otherwise the latest answers are favoured,
    because help converges (the last answer before the asker stops asking is usually the one
    that worked), as are answers addressed to the asker rather than side conversations.
    """
    w = _WEIGHTS
    score = 0.0
    if sentence.addressee is not None:
        mine = sentence.addressee.casefold() == asker_key
        score += w.to_asker if mine else w.to_someone_else
    if total > 1:
        score += w.recency * sentence.order / (total - 1)
    score += w.latest * 0.5**later_answers
    if confirmed is not None and sentence.source == confirmed:
        score += w.confirmed
    return score


def _problem_score(sentence: _Sentence, first_order: int) -> float:
    """How much an asker's sentence states the problem: questions, errors, "how do I"."""
    text = sentence.text
    score = 0.0
    if "?" in text:
        score += 1.5
    if _PROBLEM.search(text):
        score += 1.0
    if _has_code(text):
        score += 0.5
    words = _words(text)
    if len(words) < 3:
        score -= 1.5
    elif len(words) >= 6:
        score += 0.5
    if sentence.order == first_order:
        score += 1.0  # the opening message is usually the problem statement
    return score


# --- titles ------------------------------------------------------------------------------------

_GREETING = re.compile(
    r"^(?:(?:hi|hello|hey|heya|hiya|yo|greetings|good\s+(?:morning|evening|afternoon|day))"
    r"(?:\s+(?:all|everyone|everybody|guys|folks|people|there|team|y'?all))?[\s,!.:;-]+)",
    re.IGNORECASE,
)
_TITLE_PREFIXES = (
    _GREETING,
    re.compile(r"^(?:ok(?:ay)?|so|um+|uh+|well|quick\s+question|question)[\s,!.:;-]+", re.I),
    re.compile(r"^sorry(?:\s+(?:for|if)\s+[^,.!?]*)?[,.!]?\s*(?:but\s+)?", re.I),
    re.compile(
        r"^(?:please\s+)?(?:can|could|would)\s+(?:some|any)\s*(?:one|body)\s+"
        r"(?:please\s+)?(?:help\s+me(?:\s+with)?|tell\s+me)\s*[,:]?\s*",
        re.I,
    ),
    re.compile(r"^i\s+(?:need|want|would\s+like)\s+(?:some\s+)?help\s+(?:with\s+)?", re.I),
)
_TITLE_HOW = re.compile(
    r"^(?:(?:does|do)\s+)?(?:(?:any|some)\s*(?:one|body)|anyone|somebody)\s+(?:here\s+)?"
    r"(?:know|knows|tell\s+me)\s+how\s+(?:to|i\s+can|i\s+could|do\s+i|can\s+i|one\s+can)\s+|"
    r"^how\s+(?:do|can|could|would|should|might)\s+(?:i|you|one|we)\s+",
    re.IGNORECASE,
)
_TITLE_ANYONE = re.compile(
    r"^(?:(?:does|do|is\s+there)\s+)?(?:(?:any|some)\s*(?:one|body)|anyone|somebody)\s+"
    r"(?:here\s+)?(?:know|knows|familiar\s+with|have\s+(?:an?\s+)?(?:idea|clue))\s+"
    r"(?:(?:if|whether|about)\s+)?",
    re.IGNORECASE,
)
_TITLE_HOW_INSIDE = re.compile(
    r"\bhow\s+(?:(?:do|can|could|would|should|might)\s+(?:i|one|we)|(to))\s+", re.IGNORECASE
)
_DANGLING = _vocabulary(
    "a an the and or but to of in on at for with from by my your our their its is are was be "
    "that which when if as so than into via"
)


def make_title(sentence: str, limit: int = MAX_TITLE_CHARS) -> str:
    """A short title from the problem sentence: no greeting, no "does anyone know", no cut word.

    "hi all, how do I mount an ISO?" becomes "How to mount an ISO?". Long sentences are cut at
    a word boundary, dangling little words ("the", "and") are dropped, and "…" marks the cut.
    """
    limit = max(limit, 12)  # below that no title is readable; never cut into nothing
    text = re.sub(r"[*_~`]+", "", sentence)
    text = re.sub(r"\s+", " ", text).strip()
    changed = True
    while changed:
        changed = False
        for prefix in _TITLE_PREFIXES:
            new = prefix.sub("", text, count=1)
            if new != text and new.strip():
                text, changed = new.strip(), True
    inner = _TITLE_HOW_INSIDE.search(text)
    if match := _TITLE_HOW.match(text):
        text = "How to " + text[match.end() :]
    elif (
        inner
        and len(text[inner.end() :].split()) >= 2
        and (inner.group(1) is None or text.rstrip().endswith("?"))
    ):
        text = "How to " + text[inner.end() :]
    elif (match := _TITLE_ANYONE.match(text)) and text[match.end() :].strip():
        text = text[match.end() :]
    text = text.strip(" ,;:-")
    if not text:
        return ""
    text = text[0].upper() + text[1:]
    if len(text) <= limit:
        return text
    words = text[: limit - 1].split(" ")
    if len(words) > 1 and not text[limit - 1 : limit].isspace():
        words = words[:-1]  # the last word was cut in the middle
    while len(words) > 1 and words[-1].casefold().strip(",;:-") in _DANGLING:
        words.pop()
    cut = " ".join(words).rstrip(" ,;:-.!?")
    if len(cut) > limit - 1:  # one enormous word: cutting inside it is all that is left
        cut = cut[: limit - 1]
    return cut + "…"


# --- tags --------------------------------------------------------------------------------------


def _tags(
    lesson_text: str,
    thread_text: str,
    known_topics: Iterable[str],
    topic_aliases: Mapping[str, str] | None,
) -> tuple[str, ...]:
    """The workspace's known topics the thread mentions, those in the lesson itself first.

    Matching is the topics service's, so a lesson is tagged with the same spelling questions and
    expertise use (aliases such as ``k8s`` -> ``kubernetes``, plurals folded onto known topics).
    Tags never come from outside the known list: guessed keywords would be a vocabulary nobody
    searches with.
    """
    known = {str(t) for t in known_topics or () if str(t)}
    if not known:
        return ()
    found = dict.fromkeys(topics_in_text(lesson_text, known, topic_aliases))
    found.update(dict.fromkeys(topics_in_text(thread_text, known, topic_aliases)))
    return tuple(found)[:MAX_TAGS]


# --- drafting ----------------------------------------------------------------------------------


def draft_lesson(
    messages: Sequence[ThreadMessage],
    *,
    asker: str | None = None,
    excluded_authors: Collection[str] = frozenset(),
    max_learned: int = 3,
    known_topics: Iterable[str] = (),
    topic_aliases: Mapping[str, str] | None = None,
    max_title_chars: int = MAX_TITLE_CHARS,
) -> LessonDraft:
    """Propose a lesson from a thread's messages (in thread order).

    The asker defaults to the author of the first message. The context is the asker's problem
    sentences and the title is the clearest of them, shortened. "What we learned" is up to
    ``max_learned`` sentences quoted from helpers (or an asker reporting their own fix), the
    ones that look most like the fix; if the asker confirmed an answer ("thanks, that worked"),
    the message just before the confirmation is strongly preferred. Contributors are the asker
    and the quoted helpers. Tags are the workspace's ``known_topics`` the thread mentions
    (with ``topic_aliases`` mapping alias -> topic, as in :mod:`bot.services.topics`).

    Messages by ``excluded_authors`` are ignored entirely and their names are redacted from
    what is quoted. Raises :class:`EmptyThreadError` if no message is left to draft from.
    """
    messages = list(messages or ())
    excluded = {str(a).casefold() for a in excluded_authors or ()}
    included = [
        i
        for i, m in enumerate(messages)
        if _text(m).strip() and _author(m).casefold() not in excluded
    ]
    if not included:
        raise EmptyThreadError()

    asker_name = asker if isinstance(asker, str) and asker else _author(messages[0])
    asker_key = asker_name.casefold()
    names = {_author(messages[i]).casefold(): _author(messages[i]) for i in range(len(messages))}
    names.pop("", None)
    redact = _redactor(excluded)
    sentences = _sentences(messages, included, names, redact, excluded)
    all_names = set(names)
    content = [
        s
        for s in sentences
        if not is_small_talk(s.text, all_names) and not _is_confirmation_only(s)
    ]

    learned = _pick_learned(messages, included, content, asker_key, max_learned)
    first_answer = min((s.source for s in learned), default=None)
    context = _pick_context(content, asker_key, first_answer)

    title = ""
    if context:
        best = max(context, key=lambda s: (_problem_score(s, context[0].order), -s.source))
        title = make_title(best.text, max_title_chars)
    if not title and learned:
        title = make_title(learned[0].text, max_title_chars)
    title = title or UNTITLED

    contributors: dict[str, None] = {}
    if context and asker_key not in excluded:
        contributors[asker_name] = None
    for sentence in learned:
        contributors.setdefault(sentence.author, None)

    context_text = _clip(" ".join(s.text for s in context), MAX_CONTEXT_CHARS)
    lesson_text = "\n".join([title, context_text, *(s.text for s in learned)])
    thread_text = "\n".join(s.text for s in sentences)
    return LessonDraft(
        title=title,
        context=context_text,
        learned=tuple(s.text for s in learned),
        contributors=tuple(contributors),
        tags=_tags(lesson_text, thread_text, known_topics, topic_aliases),
        learned_sources=tuple(s.source for s in learned),
        context_sources=tuple(dict.fromkeys(s.source for s in context)),
    )


def _is_confirmation_only(sentence: _Sentence) -> bool:
    """A short "thanks, that worked" sentence: it marks the answer but teaches nothing."""
    return (
        is_confirmation(sentence.text)
        and len(_words(sentence.text)) <= 8
        and not _has_code(sentence.text)
    )


def _quotable(sentence: _Sentence, asker_key: str) -> bool:
    """Whether a sentence may be quoted as learned at all.

    Quotes of someone else's words (maybe an excluded member's), pastebin and channel etiquette,
    "me too", and helpers' bare questions never are; the asker's own words only when they
    report how they fixed it.
    """
    text = sentence.text
    if sentence.quoted or _CHATTER.search(text):
        return False
    if sentence.author.casefold() == asker_key:
        return bool(_ASKER_FIX.search(text))
    return not _is_bare_question(text)


def _confirmed_message(
    messages: Sequence[ThreadMessage],
    included: Sequence[int],
    asker_key: str,
    answers: Collection[int],
    own_fixes: Collection[int],
) -> int | None:
    """The answer the asker's first confirmation refers to: the last answer before it.

    "fixed it by ..." from the asker confirms their own fix, not the answer before it.
    """
    last_answer: int | None = None
    for index in included:
        if index in answers:
            last_answer = index
        elif (
            last_answer is not None
            and index not in own_fixes
            and _author(messages[index]).casefold() == asker_key
            and is_confirmation(_text(messages[index]))
        ):
            return last_answer
    return None


def _pick_learned(
    messages: Sequence[ThreadMessage],
    included: Sequence[int],
    content: Sequence[_Sentence],
    asker_key: str,
    max_learned: int,
) -> list[_Sentence]:
    """The best fix sentences, in thread order, without repeats.

    The best-scoring sentence leads; more are added only if they carry a fix cue of their own
    (or continue the chosen answer's message), so recency alone never pads the lesson.
    """
    if max_learned <= 0:
        return []
    quotable = [s for s in content if _quotable(s, asker_key)]
    answers = {s.source for s in quotable if s.author.casefold() != asker_key}
    own_fixes = {s.source for s in quotable} - answers
    confirmed = _confirmed_message(messages, included, asker_key, answers, own_fixes)
    ordered = sorted(a for a in answers if confirmed is None or a <= confirmed)
    later = {source: len(ordered) - n - 1 for n, source in enumerate(ordered)}
    scored: list[tuple[float, float, _Sentence]] = []
    for sentence in quotable:
        if sentence.author.casefold() == asker_key:
            # "fixed it by ..." from the asker is as good as a confirmation, and it is the fix
            fix = max(_content_score(sentence.text), 0.0)
            scored.append((fix + _WEIGHTS.confirmed, fix, sentence))
            continue
        fix = _content_score(sentence.text)
        place = _place_score(
            sentence,
            asker_key,
            len(included),
            confirmed,
            later.get(sentence.source, _AFTER_CONFIRMATION),
        )
        scored.append((fix + place, fix, sentence))
    chosen: list[_Sentence] = []
    seen: set[str] = set()
    for score, fix, sentence in sorted(scored, key=lambda p: (-p[0], -p[2].source)):
        if not chosen and score < _FALLBACK_THRESHOLD:
            break
        if chosen:
            same_message = any(c.source == sentence.source for c in chosen)
            if score < _LEARNED_THRESHOLD or fix < (0.0 if same_message else _CUE_THRESHOLD):
                continue
        key = " ".join(_words(sentence.text))
        if key in seen:
            continue
        seen.add(key)
        chosen.append(sentence)
        if len(chosen) >= max_learned:
            break
    position = {id(s): n for n, s in enumerate(content)}
    return sorted(chosen, key=lambda s: position[id(s)])


def _pick_context(
    content: Sequence[_Sentence], asker_key: str, first_answer: int | None
) -> list[_Sentence]:
    """The asker's problem sentences from before the answer, the clearest first, in order."""
    mine = [s for s in content if s.author.casefold() == asker_key]
    if first_answer is not None:
        before = [s for s in mine if s.source < first_answer]
        mine = before or mine
    seen: set[str] = set()
    unique = []
    for sentence in mine:  # people repeat their question when nobody answers
        key = " ".join(_words(sentence.text))
        if key not in seen and not _ASKER_FIX.search(sentence.text):
            seen.add(key)
            unique.append(sentence)
    mine = unique
    if not mine:
        return []
    first_order = mine[0].order
    ranked = sorted(mine, key=lambda s: (-_problem_score(s, first_order), s.source))
    chosen = [s for s in ranked[:MAX_CONTEXT_SENTENCES] if _problem_score(s, first_order) > 0]
    chosen = chosen or ranked[:1]
    order = {id(s): n for n, s in enumerate(content)}
    return sorted(chosen, key=lambda s: order[id(s)])
