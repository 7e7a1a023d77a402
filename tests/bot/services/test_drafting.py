"""Drafting a lesson from a thread: what gets quoted, what never does, and who is named."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.services.drafting import (
    MAX_SENTENCE_CHARS,
    UNTITLED,
    EmptyThreadError,
    LessonDraft,
    ThreadMessage,
    draft_lesson,
    is_confirmation,
    is_small_talk,
    make_title,
    split_sentences,
)

START = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def thread(*lines: tuple[str, str]) -> list[ThreadMessage]:
    """Messages one minute apart from (author, text) pairs."""
    return [
        ThreadMessage(author=author, text=text, at=START + timedelta(minutes=n))
        for n, (author, text) in enumerate(lines)
    ]


SOLVED = thread(
    ("alice", "hi all"),
    ("alice", "How do I mount an ISO image on Ubuntu 22.04? mount says permission denied"),
    ("bob", "alice: hello!"),
    ("carol", "+1, same problem here"),
    ("bob", "alice: you need root for that. Run `sudo mount -o loop disk.iso /mnt`"),
    ("dave", "please use a pastebin for long output: https://paste.ubuntu.com"),
    ("alice", "thanks bob, that worked!"),
)


# --- the shape of a draft ------------------------------------------------------------------------


def test_solved_thread_quotes_the_confirmed_fix_and_names_asker_and_helper():
    draft = draft_lesson(SOLVED)

    assert isinstance(draft, LessonDraft)
    assert "sudo mount -o loop disk.iso /mnt" in " ".join(draft.learned)
    assert set(draft.learned_sources) == {4}
    assert draft.contributors == ("alice", "bob")
    assert "permission denied" in draft.context
    assert draft.context_sources == (1,)


def test_title_comes_from_the_askers_question_rephrased_as_how_to():
    assert draft_lesson(SOLVED).title == "How to mount an ISO image on Ubuntu 22.04?"


def test_greetings_and_thanks_are_never_learned_sentences():
    draft = draft_lesson(SOLVED)

    for sentence in draft.learned:
        assert not is_small_talk(sentence, ["alice", "bob"])
        assert "hello" not in sentence.casefold()
        assert "thanks" not in sentence.casefold()
        assert "+1" not in sentence


def test_pastebin_chatter_is_never_learned_even_with_a_link():
    messages = thread(
        ("alice", "my wifi drops every few minutes, why?"),
        ("bob", "paste the output of dmesg to paste.ubuntu.com"),
        ("carol", "disable power saving: sudo iw dev wlan0 set power_save off"),
    )

    draft = draft_lesson(messages)

    assert draft.learned_sources == (2,)
    assert all("paste" not in s for s in draft.learned)


def test_a_helpers_bare_question_is_never_a_learned_sentence():
    messages = thread(
        ("alice", "my printer does not print anything"),
        ("bob", "what model is it?"),
        ("bob", "which version of ubuntu are you on?"),
    )

    draft = draft_lesson(messages)

    assert draft.learned == ()
    assert draft.contributors == ("alice",)


def test_suggestion_phrased_as_a_question_can_be_learned():
    messages = thread(
        ("alice", "apt is stuck on a broken package"),
        ("bob", "have you tried sudo dpkg --configure -a ?"),
    )

    assert draft_lesson(messages).learned == ("have you tried sudo dpkg --configure -a ?",)


def test_only_greetings_still_gives_a_draft_without_learned_sentences():
    draft = draft_lesson(thread(("alice", "hello"), ("bob", "hi alice!"), ("carol", "hey :)")))

    assert draft.learned == ()
    assert draft.learned_sources == ()
    assert draft.title == UNTITLED


# --- who the asker is and who is named --------------------------------------------------------


def test_asker_defaults_to_the_first_author():
    messages = thread(
        ("alice", "How can I see which process holds port 8080?"),
        ("bob", "bob here, I wonder about that too"),
        ("carol", "run sudo ss -ltnp and look for :8080"),
    )

    draft = draft_lesson(messages)

    assert draft.contributors[0] == "alice"
    assert "port 8080" in draft.context


def test_explicit_asker_takes_the_context_and_title():
    messages = thread(
        ("bob", "morning"),
        ("alice", "Why does my cron job not run at all?"),
        ("carol", "cron has no PATH; use absolute paths like /usr/bin/python3 in the crontab"),
    )

    draft = draft_lesson(messages, asker="alice")

    assert draft.title == "Why does my cron job not run at all?"
    assert draft.contributors == ("alice", "carol")


def test_excluded_author_is_never_quoted_or_named():
    messages = thread(
        ("alice", "How do I make my USB stick writable again?"),
        ("bob", "alice: run sudo fsck.vfat -a /dev/sdb1 and replug it"),
        ("carol", "as bob said, fsck first; then mount it with sudo mount /dev/sdb1 /mnt"),
        ("dave", "<@bob|Bob B.> is right, also check the lock switch on the stick"),
        ("alice", "thanks, that worked"),
    )

    draft = draft_lesson(messages, excluded_authors=frozenset({"bob"}))

    everything = " ".join([draft.title, draft.context, *draft.learned, *draft.contributors])
    assert "bob" not in everything.casefold()
    assert 1 not in draft.learned_sources
    assert "fsck.vfat -a" not in everything
    assert "bob" not in draft.contributors


def test_excluded_author_matching_ignores_case():
    messages = thread(("alice", "Where are the logs?"), ("Bob", "run journalctl -xe"))

    draft = draft_lesson(messages, excluded_authors={"bob"})

    assert draft.learned == ()
    assert "Bob" not in draft.contributors


def test_excluded_asker_is_not_quoted_in_title_or_context():
    messages = thread(
        ("alice", "secret project: how do I rotate nginx logs?"),
        ("bob", "use logrotate, the config lives in /etc/logrotate.d/nginx"),
    )

    draft = draft_lesson(messages, excluded_authors={"alice"})

    assert draft.context == ""
    assert "secret" not in draft.title.casefold()
    assert draft.contributors == ("bob",)


def test_learned_sources_index_the_callers_messages_even_around_excluded_ones():
    messages = thread(
        ("alice", "How do I change the default editor?"),
        ("eve", "I would never tell"),
        ("bob", "run sudo update-alternatives --config editor"),
    )

    draft = draft_lesson(messages, excluded_authors={"eve"})

    assert draft.learned_sources == (2,)
    assert messages[draft.learned_sources[0]].author == "bob"


# --- selection -----------------------------------------------------------------------------------


def test_confirmed_answer_wins_over_a_richer_looking_earlier_one():
    messages = thread(
        ("alice", "My laptop does not suspend when I close the lid"),
        ("bob", "alice: edit /etc/systemd/logind.conf and set HandleLidSwitch=suspend"),
        ("carol", "alice: it is a BIOS setting on that model, turn on S3 sleep in the BIOS"),
        ("alice", "carol: thanks, that was it!"),
        ("dave", "np"),
    )

    draft = draft_lesson(messages, max_learned=1)

    assert draft.learned_sources == (2,)
    assert draft.contributors == ("alice", "carol")


def test_max_learned_caps_the_sentences_and_zero_quotes_nothing():
    messages = thread(
        ("alice", "How do I install docker?"),
        ("bob", "run sudo apt install docker.io."),
        ("bob", "then add yourself to the docker group: sudo usermod -aG docker $USER."),
        ("carol", "you need to log out and in again after that."),
    )

    assert len(draft_lesson(messages, max_learned=2).learned) == 2
    assert len(draft_lesson(messages, max_learned=1).learned) == 1
    assert draft_lesson(messages, max_learned=0).learned == ()


def test_learned_sentences_keep_thread_order():
    messages = thread(
        ("alice", "How do I install docker?"),
        ("bob", "first run sudo apt install docker.io"),
        ("carol", "then run sudo usermod -aG docker $USER"),
        ("bob", "you need to log out and back in after that"),
    )

    draft = draft_lesson(messages)

    assert list(draft.learned_sources) == sorted(draft.learned_sources)
    assert len(draft.learned) == 3


def test_extra_learned_sentences_need_a_fix_cue_of_their_own():
    messages = thread(
        ("alice", "How do I stop the screen from locking?"),
        ("bob", "hmm, odd one"),
        ("carol", "run gsettings set org.gnome.desktop.screensaver lock-enabled false"),
        ("bob", "interesting, never seen that"),
    )

    draft = draft_lesson(messages)

    assert draft.learned == ("run gsettings set org.gnome.desktop.screensaver lock-enabled false",)


def test_addressee_prefix_is_stripped_from_quotes():
    messages = thread(
        ("alice", "Which file sets the hostname?"),
        ("bob", "alice: it is in /etc/hostname"),
    )

    assert draft_lesson(messages).learned == ("it is in /etc/hostname",)


def test_repeated_answers_are_quoted_once():
    messages = thread(
        ("alice", "How do I list open ports?"),
        ("bob", "use sudo ss -tulpn"),
        ("carol", "use sudo ss -tulpn"),
    )

    assert draft_lesson(messages).learned == ("use sudo ss -tulpn",)


def test_asker_reporting_their_own_fix_is_learned():
    messages = thread(
        ("alice", "Sound stopped working after the update"),
        ("bob", "hmm, strange"),
        ("alice", "fixed it by running systemctl --user restart pipewire"),
    )

    draft = draft_lesson(messages)

    assert draft.learned_sources == (2,)
    assert draft.contributors == ("alice",)


def test_tags_come_only_from_known_topics_the_lesson_first():
    messages = thread(
        ("alice", "Containers lose DNS after the VPN connects"),
        ("bob", "restart docker after the vpn connects: sudo systemctl restart docker"),
        ("carol", "lol, python would never"),
    )

    assert draft_lesson(messages).tags == ()
    tags = draft_lesson(
        messages,
        known_topics=["networking", "docker", "python", "go"],
        topic_aliases={"vpn": "networking", "dns": "networking"},
    ).tags
    assert tags == ("networking", "docker", "python")


# --- odd input -----------------------------------------------------------------------------------


def test_empty_thread_is_a_domain_error_the_bot_can_reply_with():
    with pytest.raises(EmptyThreadError) as caught:
        draft_lesson([])

    assert isinstance(caught.value, UserError)
    assert isinstance(caught.value, ValueError)
    assert "nothing" in caught.value.line()


def test_thread_of_blank_or_excluded_messages_counts_as_empty():
    messages = thread(("alice", "   "), ("bob", "run sudo reboot"))

    with pytest.raises(EmptyThreadError):
        draft_lesson(messages, excluded_authors={"bob"})


def test_very_long_messages_are_clipped_at_word_boundaries():
    long_answer = "run sudo apt install foo " + " ".join(["and then something else"] * 500)
    messages = thread(("alice", "How do I install foo? " + "x" * 5000), ("bob", long_answer))

    draft = draft_lesson(messages)

    assert all(len(s) <= MAX_SENTENCE_CHARS for s in draft.learned)
    assert draft.learned[0].endswith("…")
    assert len(draft.title) <= 80


def test_slack_markup_becomes_plain_text():
    messages = thread(
        ("U1", "Where is the *release checklist*?"),
        ("U2", "<@U1> see <https://wiki.example.org/release|the wiki page> :smile:"),
    )

    draft = draft_lesson(messages)

    assert draft.learned == ("see https://wiki.example.org/release",)
    assert draft.title == "Where is the release checklist?"


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(["alice", "bob", "carol", ""]), st.text(max_size=300)),
        min_size=1,
        max_size=8,
    ),
    st.integers(min_value=-1, max_value=4),
)
def test_drafting_never_fails_on_arbitrary_text(lines, max_learned):
    messages = thread(*lines)
    try:
        draft = draft_lesson(messages, max_learned=max_learned, excluded_authors={"carol"})
    except EmptyThreadError:
        assert all(not t.strip() or a == "carol" for a, t in lines)
        return
    assert draft.title
    assert len(draft.title) <= 80
    assert len(draft.learned) == len(draft.learned_sources) <= max(max_learned, 0)
    assert all(messages[i].author != "carol" for i in draft.learned_sources)
    assert "carol" not in draft.contributors


# --- the helpers the bench and the bot reuse --------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "thanks!",
        "bob: thank you so much",
        "thx",
        "ty",
        "that worked, cheers",
        "it works now",
        "yes, that did the trick",
        "fixed!",
        "that probably fixed it",
    ],
)
def test_confirmations_are_recognised(text):
    assert is_confirmation(text)


@pytest.mark.parametrize(
    "text",
    [
        "thanks anyway",
        "no luck, it didn't work",
        "did that work?",
        "it worked before the upgrade",
        "it works fine in windows, but not here",
        "still not working",
        "typo in the path",
        "",
    ],
)
def test_failures_questions_and_lookalikes_are_not_confirmations(text):
    assert not is_confirmation(text)


@pytest.mark.parametrize("text", ["hi all", "+1", "lol", "ok thanks bob", ":)", "good morning!"])
def test_small_talk_is_recognised(text):
    assert is_small_talk(text, ["bob"])


@pytest.mark.parametrize("text", ["run sudo apt update", "the disk is full", "try rebooting"])
def test_content_is_not_small_talk(text):
    assert not is_small_talk(text, ["bob"])


def test_sentences_split_without_breaking_versions_paths_urls_or_code():
    text = (
        "Ubuntu 22.04 ships it. Edit /etc/apt/sources.list, e.g. with nano. "
        "See https://help.ubuntu.com/a.b?c=d. Run `cd .. && ls`. done\n"
        "```\nsudo apt update\nsudo apt upgrade\n```"
    )

    assert split_sentences(text) == [
        "Ubuntu 22.04 ships it.",
        "Edit /etc/apt/sources.list, e.g. with nano.",
        "See https://help.ubuntu.com/a.b?c=d.",
        "Run `cd .. && ls`. done",
        "```\nsudo apt update\nsudo apt upgrade\n```",
    ]


def test_title_is_cut_at_a_word_boundary():
    title = make_title(
        "my external monitor flickers whenever the laptop switches to battery power and back",
        limit=40,
    )

    assert len(title) <= 40
    assert title.endswith("…")
    stem = title.removesuffix("…")
    assert "My external monitor flickers whenever the laptop".startswith(stem)
    assert not stem.endswith(("the", " "))


def test_title_drops_greetings_and_apologies():
    assert make_title("hey guys, sorry for the noob question, how can I resize a partition?") == (
        "How to resize a partition?"
    )
    assert make_title("does anyone know why grub is missing?") == "Why grub is missing?"
