"""The per-workspace ranker stays equal to one built from scratch, however the data changed."""

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete

from bot.services.expert_index import ExpertIndex, evidence
from bot.services.ranking import ExpertRanker, Query, RankerConfig
from storage.models import Answer, Expertise, Question, Workspace
from storage.repos import expertise as expertise_repo
from storage.repos import members, workspaces

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def _answered(session, ws_id, asker, answerer, text, answer, topics, days_ago):
    when = NOW - timedelta(days=days_ago)
    q = Question(
        workspace_id=ws_id,
        asker_member_id=asker.id,
        channel_id="q",
        text=text,
        topics=topics,
        created_at=when,
    )
    session.add(q)
    session.flush()
    session.add(
        Answer(
            workspace_id=ws_id,
            question_id=q.id,
            member_id=answerer.id,
            text=answer,
            created_at=when,
        )
    )
    session.flush()


def _seed(session, key="T1"):
    ws = workspaces.get_or_create(session, "slack", key)
    alice, bob, carol = (
        members.get_or_create(session, ws.id, n, n) for n in ("alice", "bob", "carol")
    )
    _answered(
        session,
        ws.id,
        alice,
        bob,
        "vacuum stalls on a big table",
        "idle transactions",
        "postgres",
        3,
    )
    _answered(
        session, ws.id, alice, carol, "pytest fixture scope", "use session scope", "python", 2
    )
    expertise_repo.declare(session, ws.id, carol.id, ["kubernetes"], NOW)
    return ws.id


def _scores(db, index, ws_id, text, topics=()):
    def run(session):
        workspace = session.get(Workspace, ws_id)
        ids = [str(m.id) for m in members.with_role_at_least(session, ws_id, members.Role.MEMBER)]
        ranked = index.rank(
            session, workspace, Query(text, NOW, tuple(topics)), ids, load=None, now=NOW, k=10
        )
        return [(r.member, round(r.score, 6)) for r in ranked]

    return db.run_sync(run)


def _fresh_scores(db, ws_id, text, topics=()):
    def run(session):
        workspace = session.get(Workspace, ws_id)
        config = RankerConfig(half_life_days=float(workspace.expertise_half_life_days))
        ranker = ExpertRanker(evidence(session, ws_id), config)
        ids = [str(m.id) for m in members.with_role_at_least(session, ws_id, members.Role.MEMBER)]
        return [
            (r.member, round(r.score, 6))
            for r in ranker.rank(Query(text, NOW, tuple(topics)), ids, now=NOW, k=10)
        ]

    return db.run_sync(run)


def test_new_answers_are_added_and_match_a_rebuild(db):
    ws_id = db.run_sync(_seed)
    index = ExpertIndex()
    first = _scores(db, index, ws_id, "why does vacuum stall?", ["postgres"])
    assert first[0][0] == db.run_sync(lambda s: str(members.get(s, ws_id, "bob").id))

    def more(session):
        alice, carol = members.get(session, ws_id, "alice"), members.get(session, ws_id, "carol")
        for n in range(3):
            _answered(
                session, ws_id, alice, carol, f"vacuum freeze {n}", "tune autovacuum", "postgres", 1
            )

    db.run_sync(more)
    entry_before = index._entries[ws_id].ranker
    after = _scores(db, index, ws_id, "why does vacuum stall?", ["postgres"])
    assert index._entries[ws_id].ranker is entry_before  # extended, not rebuilt
    assert after == _fresh_scores(db, ws_id, "why does vacuum stall?", ["postgres"])
    assert after[0][0] == db.run_sync(lambda s: str(members.get(s, ws_id, "carol").id))


def test_deleted_evidence_rebuilds_so_forgotten_members_vanish(db):
    ws_id = db.run_sync(_seed)
    index = ExpertIndex()
    _scores(db, index, ws_id, "vacuum", ["postgres"])
    old = index._entries[ws_id].ranker
    db.run_sync(members.forget, ws_id, "bob")
    scores = _scores(db, index, ws_id, "vacuum", ["postgres"])
    assert index._entries[ws_id].ranker is not old
    bob_gone = db.run_sync(lambda s: members.get(s, ws_id, "bob"))
    assert bob_gone is None
    assert scores == _fresh_scores(db, ws_id, "vacuum", ["postgres"])


def test_removed_declaration_and_new_alias_rebuild(db):
    ws_id = db.run_sync(_seed)
    index = ExpertIndex()
    _scores(db, index, ws_id, "k8s upgrade", ["kubernetes"])
    db.run_sync(lambda s: s.exec(delete(Expertise).where(Expertise.topic == "kubernetes")))
    assert _scores(db, index, ws_id, "k8s upgrade", ["kubernetes"]) == _fresh_scores(
        db, ws_id, "k8s upgrade", ["kubernetes"]
    )
    db.run_sync(expertise_repo.set_alias, ws_id, "pg", "postgres")
    before = index._entries[ws_id].ranker
    _scores(db, index, ws_id, "pg", ["postgres"])
    assert index._entries[ws_id].ranker is not before


def test_workspaces_never_see_each_others_evidence(db):
    t1 = db.run_sync(_seed, "T1")
    t2 = db.run_sync(lambda s: workspaces.get_or_create(s, "slack", "T2").id)
    index = ExpertIndex()
    _scores(db, index, t1, "vacuum", ["postgres"])
    assert _scores(db, index, t2, "vacuum", ["postgres"]) == []
    assert len(index._entries[t2].ranker) == 0
