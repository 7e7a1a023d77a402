"""Full-text search in the database itself, the same on SQLite (FTS5) and PostgreSQL (tsvector):
kept current by triggers, scoped to a workspace, and safe for any text a member types."""

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import Session

from storage import search
from storage.models import Answer, Lesson, Member, Question, Workspace

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _workspace(session: Session, key: str) -> int:
    workspace = Workspace(platform="slack", external_id=key)
    session.add(workspace)
    session.flush()
    return workspace.id


def _member(session: Session, workspace_id: int, name: str) -> int:
    member = Member(workspace_id=workspace_id, user_id=name, display_name=name)
    session.add(member)
    session.flush()
    return member.id


def _lesson(session: Session, workspace_id: int, title: str, learned: str, **extra) -> int:
    lesson = Lesson(workspace_id=workspace_id, title=title, learned=learned, **extra)
    session.add(lesson)
    session.flush()
    return lesson.id


def _hits(db, workspace_id: int, text: str, **filters) -> list[tuple[str, int]]:
    def run(session: Session):
        found = search.search(session, workspace_id, text, filters=search.Filters(**filters))
        return [(h.kind, h.ref_id) for h in found.hits]

    return db.run_sync(run)


@pytest.fixture
def two_workspaces(db):
    def seed(session: Session):
        one, two = _workspace(session, "T1"), _workspace(session, "T2")
        bob = _member(session, one, "bob")
        vacuum = _lesson(
            session,
            one,
            "Vacuum stalls on big tables",
            "Long-running transactions hold back vacuum.",
            tags="postgres,ops",
            author_member_id=bob,
            created_at=NOW - timedelta(days=30),
        )
        deploys = _lesson(
            session, one, "Friday deploys", "Deploy before Thursday noon.", tags="ops"
        )
        secret = _lesson(session, two, "Vacuum in the other team", "Their vacuum secret.")
        return {"one": one, "two": two, "bob": bob, "vacuum": vacuum, "deploys": deploys,
                "secret": secret}  # fmt: skip

    return db.run_sync(seed)


def test_a_saved_lesson_is_found_by_stemmed_words_and_only_in_its_workspace(db, two_workspaces):
    ids = two_workspaces
    assert _hits(db, ids["one"], "vacuuming stalled") == [("lesson", ids["vacuum"])]
    assert _hits(db, ids["two"], "vacuum") == [("lesson", ids["secret"])]


def test_the_index_follows_edits_and_deletes(db, two_workspaces):
    ids = two_workspaces

    def edit(session: Session):
        lesson = session.get(Lesson, ids["deploys"])
        lesson.learned = "Freeze releases on Fridays."
        session.add(lesson)

    db.run_sync(edit)
    assert _hits(db, ids["one"], "freeze releases") == [("lesson", ids["deploys"])]
    assert _hits(db, ids["one"], "thursday") == []
    db.run_sync(lambda s: s.delete(s.get(Lesson, ids["deploys"])))
    assert _hits(db, ids["one"], "freeze") == []


def test_resolved_questions_are_searchable_with_their_accepted_answer(db, two_workspaces):
    ids = two_workspaces

    def ask(session: Session):
        question = Question(
            workspace_id=ids["one"], channel_id="c", text="Why is my disk full?\nOn the DB box."
        )
        session.add(question)
        session.flush()
        answer = Answer(
            workspace_id=ids["one"], question_id=question.id, text="WAL archiving was stuck."
        )
        session.add(answer)
        session.flush()
        return question.id, answer.id

    qid, aid = db.run_sync(ask)
    assert _hits(db, ids["one"], "disk full") == []  # open questions are not knowledge yet

    def resolve(session: Session):
        question = session.get(Question, qid)
        question.status, question.accepted_answer_id = "resolved", aid
        session.add(question)

    db.run_sync(resolve)
    assert _hits(db, ids["one"], "disk full") == [("question", qid)]
    assert _hits(db, ids["one"], "archiving") == [("question", qid)]

    def edit_answer(session: Session):
        answer = session.get(Answer, aid)
        answer.text = "Replication slot left behind."
        session.add(answer)

    db.run_sync(edit_answer)
    assert _hits(db, ids["one"], "archiving") == []
    assert _hits(db, ids["one"], "replication slot") == [("question", qid)]


def test_title_matches_rank_above_body_matches(db, two_workspaces):
    ids = two_workspaces
    db.run_sync(
        lambda s: _lesson(s, ids["one"], "Backups", "Check the vacuum settings after a restore.")
    )
    assert _hits(db, ids["one"], "vacuum")[0] == ("lesson", ids["vacuum"])


def test_filters_by_tag_member_and_date(db, two_workspaces):
    ids = two_workspaces
    both = sorted([("lesson", ids["vacuum"]), ("lesson", ids["deploys"])])
    assert sorted(_hits(db, ids["one"], "vacuum deploy", tag="ops")) == both
    assert _hits(db, ids["one"], "vacuum deploy", tag="postgres") == [("lesson", ids["vacuum"])]
    assert _hits(db, ids["one"], "vacuum deploy", member_id=ids["bob"]) == [
        ("lesson", ids["vacuum"])
    ]
    since = NOW - timedelta(days=1)
    recent = _hits(db, ids["one"], "vacuum deploy", since=since)
    assert ("lesson", ids["vacuum"]) not in recent


def test_a_tag_filter_with_like_wildcards_matches_only_that_tag(db, two_workspaces):
    ids = two_workspaces
    assert _hits(db, ids["one"], "vacuum", tag="p%") == []
    assert _hits(db, ids["one"], "vacuum", tag="o_s") == []


@pytest.mark.parametrize(
    "text",
    ['"', "*", "NEAR", "OR", "AND NOT", "vacuum OR", 'NEAR("a" "b")', "a:b", "!!!", "&|!()<->",
     "'", "\\", "-", "^vacuum", "vacuum*", "{title}: x", "(", "\x00", "how to", "   ", ""],
)  # fmt: skip
def test_fts_syntax_and_punctuation_are_searched_as_words_never_as_syntax(db, two_workspaces, text):
    hits = _hits(db, two_workspaces["one"], text)
    assert all(kind in search.KINDS for kind, _ in hits)


def test_operators_typed_by_a_member_are_plain_words(db, two_workspaces):
    ids = two_workspaces
    # "NEAR" and "OR" are searched for as words; "vacuum" still finds its lesson.
    assert _hits(db, ids["one"], "vacuum NEAR OR") == [("lesson", ids["vacuum"])]


def test_a_query_of_stop_words_only_searches_for_nothing(db, two_workspaces):
    result = db.run_sync(lambda s: search.search(s, two_workspaces["one"], "how to do it?"))
    assert result.hits == [] and result.plan.mode == "none"


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(text=st.text(max_size=300))
def test_any_text_searches_without_error(db, two_workspaces, text):
    """Arbitrary strings (unicode, control characters, FTS and tsquery syntax) never raise."""
    result = db.run_sync(lambda s: search.search(s, two_workspaces["one"], text))
    assert all(hit.kind in search.KINDS for hit in result.hits)


def test_which_query_words_each_document_holds(db, two_workspaces):
    ids = two_workspaces

    def run(session: Session):
        hits = [search.Hit("lesson", ids["vacuum"], 1.0), search.Hit("lesson", ids["deploys"], 0.5)]
        return search.terms_in(session, hits, ["vacuum", "transactions", "deploy"])

    held = db.run_sync(run)
    assert held[search.doc_key("lesson", ids["vacuum"])] == {"vacuum", "transactions"}
    assert held[search.doc_key("lesson", ids["deploys"])] == {"deploy"}


def test_terms_take_the_headline_first_without_stop_words_or_repeats():
    terms = search.terms_of("How to stop vacuum stalls?\nThe vacuum stalls on big tables")
    assert terms.headline == ("stop", "vacuum", "stalls")
    assert terms.rest == ("big", "tables")
    assert terms.weight("vacuum") == 2.0 and terms.weight("big") == 1.0


def test_common_terms_are_left_out_when_rarer_ones_exist():
    terms = search.terms_of("cardano wallet nami collateral")
    counts = {"cardano": 5000, "wallet": 1800, "nami": 300, "collateral": 40}
    used, mode = search._choose(terms, list(counts), counts, total=100_000)
    assert mode == "rank" and used == ["nami", "collateral"]


def test_a_query_of_common_terms_only_matches_them_all():
    terms = search.terms_of("cardano wallet")
    counts = {"cardano": 5000, "wallet": 1800}
    used, mode = search._choose(terms, list(counts), counts, total=100_000)
    assert mode == "recent" and used == ["cardano", "wallet"]


def test_small_workspaces_use_every_term():
    terms = search.terms_of("cardano wallet nami")
    counts = {"cardano": 900, "wallet": 800, "nami": 3}
    used, mode = search._choose(terms, list(counts), counts, total=1000)
    assert mode == "rank" and used == ["cardano", "wallet", "nami"]


def test_search_objects_are_named_for_the_drift_check():
    assert search.is_search_object("search_fts_data")
    assert search.is_search_object("search_doc")
    assert not search.is_search_object("lesson")
