"""Members: profiles, roles, and forgetting a member on request."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import delete, func, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from storage.models import (
    Answer,
    CustomPrompt,
    Expertise,
    Lesson,
    Member,
    PromptSchedule,
    Question,
    ReflectionResponse,
    Role,
    RoutingAttempt,
    utcnow,
)
from storage.repos import lessons as lessons_repo


def get(session: Session, workspace_id: int, user_id: str) -> Member | None:
    return session.exec(
        select(Member).where(Member.workspace_id == workspace_id, Member.user_id == user_id)
    ).first()


def find_by_name(session: Session, workspace_id: int, name: str) -> list[Member]:
    """Members whose user id or display name is ``name`` (case-insensitive)."""
    lowered = name.lower()
    return list(
        session.exec(
            select(Member).where(
                Member.workspace_id == workspace_id,
                or_(
                    func.lower(Member.user_id) == lowered,
                    func.lower(Member.display_name) == lowered,
                ),
            )
        )
    )


def get_or_create(
    session: Session, workspace_id: int, user_id: str, display_name: str = ""
) -> Member:
    """The member's row, created when they first store something; keeps the name current."""
    member = get(session, workspace_id, user_id)
    if member is None:
        try:
            with session.begin_nested():
                member = Member(
                    workspace_id=workspace_id, user_id=user_id, display_name=display_name
                )
                session.add(member)
                session.flush()
        except IntegrityError:
            member = get(session, workspace_id, user_id)
            assert member is not None
    elif display_name and member.display_name != display_name:
        member.display_name = display_name
        member.updated_at = utcnow()
        session.add(member)
    return member


def role_of(session: Session, workspace_id: int, user_id: str) -> Role:
    member = get(session, workspace_id, user_id)
    return Role(member.role) if member is not None else Role.MEMBER


def with_role_at_least(session: Session, workspace_id: int, role: Role) -> list[Member]:
    wanted = [r.value for r in Role if r.rank >= role.rank]
    return list(
        session.exec(
            select(Member)
            .where(Member.workspace_id == workspace_id, col(Member.role).in_(wanted))
            .order_by(Member.display_name)
        )
    )


@dataclass(frozen=True, slots=True)
class PersonalData:
    """How much copbot holds about one member in one workspace."""

    profile: int
    expertise: int
    questions: int
    answers: int
    routing: int
    lessons: int
    reflections: int

    @property
    def total(self) -> int:
        return (
            self.profile
            + self.expertise
            + self.questions
            + self.answers
            + self.routing
            + self.lessons
            + self.reflections
        )


def _count(session: Session, model: type, *where: object) -> int:
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def personal_data(session: Session, workspace_id: int, user_id: str) -> PersonalData:
    member = get(session, workspace_id, user_id)
    if member is None:
        return PersonalData(0, 0, 0, 0, 0, 0, 0)
    mid = member.id
    return PersonalData(
        profile=1,
        expertise=_count(session, Expertise, Expertise.member_id == mid),
        questions=_count(session, Question, Question.asker_member_id == mid),
        answers=_count(session, Answer, Answer.member_id == mid),
        routing=_count(session, RoutingAttempt, RoutingAttempt.member_id == mid),
        lessons=_count(session, Lesson, Lesson.author_member_id == mid),
        reflections=_count(session, ReflectionResponse, ReflectionResponse.member_id == mid),
    )


def forget(session: Session, workspace_id: int, user_id: str) -> PersonalData:
    """Delete everything copbot holds about a member in this workspace, in one transaction.

    Deletes are explicit (not left to ON DELETE CASCADE) so the counts reported to the member
    are exactly what went, and so SQLite without foreign keys enforced would still forget.
    References to the member in other people's records (who claimed or resolved a question)
    are cleared, not kept pointing at nobody.
    """
    counts = personal_data(session, workspace_id, user_id)
    member = get(session, workspace_id, user_id)
    if member is None:
        return counts
    mid = member.id
    own_questions = select(Question.id).where(Question.asker_member_id == mid)
    session.exec(delete(Answer).where(col(Answer.question_id).in_(own_questions)))
    session.exec(delete(RoutingAttempt).where(col(RoutingAttempt.question_id).in_(own_questions)))
    session.exec(
        update(Lesson)
        .where(col(Lesson.source_question_id).in_(own_questions))
        .values(source_question_id=None)
    )
    session.exec(delete(Question).where(Question.asker_member_id == mid))
    own_answers = select(Answer.id).where(Answer.member_id == mid)
    session.exec(
        update(Question)
        .where(col(Question.accepted_answer_id).in_(own_answers))
        .values(accepted_answer_id=None)
    )
    session.exec(delete(Answer).where(Answer.member_id == mid))
    session.exec(delete(RoutingAttempt).where(RoutingAttempt.member_id == mid))
    session.exec(delete(Expertise).where(Expertise.member_id == mid))
    session.exec(delete(ReflectionResponse).where(ReflectionResponse.member_id == mid))
    session.exec(delete(Lesson).where(Lesson.author_member_id == mid))
    session.exec(
        update(Question)
        .where(Question.claimed_by_member_id == mid)
        .values(claimed_by_member_id=None)
    )
    session.exec(
        update(Question)
        .where(Question.resolved_by_member_id == mid)
        .values(resolved_by_member_id=None)
    )
    for model in (CustomPrompt, PromptSchedule):
        session.exec(
            update(model).where(model.created_by_member_id == mid).values(created_by_member_id=None)
        )
    # Their words quoted in others' lessons go too (the lessons return to review).
    lessons_repo.unquote_member(session, workspace_id, mid or 0, utcnow())
    session.exec(delete(Member).where(Member.id == mid))
    return counts
