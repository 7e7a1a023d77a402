"""Loading a Stack Exchange dump folder: what the benchmarks can rely on."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from bench.stackexchange import (
    LINK_DUPLICATE,
    html_to_text,
    load_site,
    parse_tags,
    parse_timestamp,
)

BOM = "\ufeff"

BODY = (
    "&lt;p&gt;It stalls&amp;nbsp;forever.&lt;/p&gt;"
    "&lt;pre&gt;&lt;code&gt;VACUUM FULL;&lt;/code&gt;&lt;/pre&gt;"
)

POSTS = f"""<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="10" PostTypeId="1" AcceptedAnswerId="12" CreationDate="2021-05-02T10:00:00.000"
       Score="3" ViewCount="40" OwnerUserId="1" Title="Why &amp; how does &lt;vacuum&gt; stall?"
       Tags="&lt;postgres&gt;&lt;vacuum&gt;"
       Body="{BODY}" />
  <row Id="11" PostTypeId="2" ParentId="10" CreationDate="2021-05-02T12:00:00.000" Score="1"
       OwnerUserId="2" Body="&lt;p&gt;Check&lt;/p&gt;&lt;p&gt;locks&lt;/p&gt;" />
  <row Id="12" PostTypeId="2" ParentId="10" CreationDate="2021-05-02T11:00:00.000" Score="5"
       OwnerUserId="3" Body="&lt;p&gt;Long transactions.&lt;/p&gt;" />
  <row Id="5" PostTypeId="1" CreationDate="2021-05-01T09:00:00.000" Score="0"
       Title="Earlier question" Tags="|kubernetes|pods|" Body=""
       ClosedDate="2021-05-03T00:00:00.000" />
  <row Id="13" PostTypeId="2" ParentId="5" CreationDate="2021-05-01T09:30:00.000" Score="0"
       OwnerUserId="-1" Body="&lt;p&gt;bot&lt;/p&gt;" />
  <row Id="20" PostTypeId="4" CreationDate="2021-05-01T00:00:00.000" Score="0" Body="wiki" />
</posts>
"""

USERS = """<?xml version="1.0" encoding="utf-8"?>
<users>
  <row Id="-1" Reputation="1" CreationDate="2018-01-01T00:00:00.000" DisplayName="Community" />
  <row Id="2" Reputation="120" CreationDate="2021-04-01T00:00:00.000" DisplayName="Ann" />
</users>
"""

TAGS = """<?xml version="1.0" encoding="utf-8"?>
<tags>
  <row Id="1" TagName="postgres" Count="1" />
  <row Id="2" TagName="kubernetes" Count="1" ExcerptPostId="20" />
</tags>
"""

LINKS = """<?xml version="1.0" encoding="utf-8"?>
<postlinks>
  <row Id="7" CreationDate="2021-05-03T00:00:00.000" PostId="10" RelatedPostId="5" LinkTypeId="3" />
</postlinks>
"""


def write_site(folder: Path, *, optional: bool = True) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Posts.xml").write_text(BOM + POSTS, encoding="utf-8")
    if optional:
        (folder / "Users.xml").write_text(BOM + USERS, encoding="utf-8")
        (folder / "Tags.xml").write_text(TAGS, encoding="utf-8")
        (folder / "PostLinks.xml").write_text(LINKS, encoding="utf-8")
    return folder


def test_questions_answers_links_users_and_tags_are_loaded(tmp_path: Path) -> None:
    site = load_site(write_site(tmp_path / "example.stackexchange.com"))

    assert site.name == "example.stackexchange.com"
    assert [q.id for q in site.questions] == [5, 10]  # time order, not file order
    assert [a.id for a in site.answers] == [13, 12, 11]
    assert set(site.users) == {-1, 2} and site.users[2].display_name == "Ann"
    assert site.tags["kubernetes"].count == 1
    assert [(link.post_id, link.related_post_id) for link in site.links] == [(10, 5)]
    assert site.links[0].link_type == LINK_DUPLICATE


def test_question_fields_are_decoded(tmp_path: Path) -> None:
    site = load_site(write_site(tmp_path / "s"))
    question = site.question_by_id[10]

    assert question.title == "Why & how does <vacuum> stall?"
    assert question.body == "It stalls\xa0forever.\nVACUUM FULL;"
    assert question.tags == ("postgres", "vacuum")
    assert question.created == datetime(2021, 5, 2, 10, tzinfo=UTC)
    assert question.owner_id == 1
    assert question.accepted_answer_id == 12
    assert question.text.startswith("Why & how does <vacuum> stall?\nIt stalls")
    assert site.question_by_id[5].closed == datetime(2021, 5, 3, tzinfo=UTC)


def test_answers_know_their_question_and_the_accepted_one_is_found(tmp_path: Path) -> None:
    site = load_site(write_site(tmp_path / "s"))
    question = site.question_by_id[10]

    answers = site.answers_by_question[10]
    assert [(a.id, a.owner_id, a.score) for a in answers] == [(12, 3, 5), (11, 2, 1)]
    assert answers[1].body == "Check\nlocks"  # paragraphs do not glue words together
    accepted = site.accepted_answer(question)
    assert accepted is not None and accepted.id == 12
    assert site.accepted_answer(site.question_by_id[5]) is None


def test_community_bot_and_missing_owners_count_as_unknown(tmp_path: Path) -> None:
    site = load_site(write_site(tmp_path / "s"))

    assert site.question_by_id[5].owner_id is None
    assert site.answers_by_question[5][0].owner_id is None


def test_optional_files_may_be_missing(tmp_path: Path) -> None:
    site = load_site(write_site(tmp_path / "s", optional=False))

    assert len(site.questions) == 2
    assert site.users == {} and site.tags == {} and site.links == []


def test_a_folder_without_posts_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"Posts\.xml"):
        load_site(tmp_path)


def test_code_can_be_dropped_from_bodies() -> None:
    html = "<p>Run <code>cardano-cli query tip</code> first</p><pre><code>x = 1</code></pre>"

    assert html_to_text(html) == "Run cardano-cli query tip first\nx = 1"
    assert html_to_text(html, keep_code=False) == "Run first"
    assert html_to_text("") == ""


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("<a><b-c>", ("a", "b-c")),
        ("|a|b-c|", ("a", "b-c")),
        ("", ()),
        (None, ()),
    ],
)
def test_both_tag_formats_are_understood(raw: str | None, expected: tuple[str, ...]) -> None:
    assert parse_tags(raw) == expected


def test_timestamps_are_utc_aware() -> None:
    assert parse_timestamp("2021-04-27T15:06:44.553") == datetime(
        2021, 4, 27, 15, 6, 44, 553000, tzinfo=UTC
    )
