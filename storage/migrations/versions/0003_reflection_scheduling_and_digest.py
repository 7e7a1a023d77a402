"""reflection scheduling and digest: schedule revisions, mutes, held DMs, digest schedules,
and the claims that make each scheduled post happen at most once

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 03:33:18.930344
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import storage.models

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "scheduled_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("job_id", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("slot", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("claimed_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "slot", name="uq_scheduled_run_slot"),
    )
    with op.batch_alter_table("scheduled_run", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_scheduled_run_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "digest_schedule",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("channel_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("cron", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("timezone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("created_by_member_id", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("job_revision", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["created_by_member_id"], ["member.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("digest_schedule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_digest_schedule_workspace_id"), ["workspace_id"], unique=True
        )

    op.create_table(
        "prompt_mute",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("schedule_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("created_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["schedule_id"], ["prompt_schedule.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("schedule_id", "member_id", name="uq_prompt_mute"),
    )
    with op.batch_alter_table("prompt_mute", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_prompt_mute_member_id"), ["member_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_prompt_mute_workspace_id"), ["workspace_id"], unique=False
        )

    op.create_table(
        "prompt_delivery",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("post_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("due_at", storage.models.UtcDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", storage.models.UtcDateTime(timezone=True), nullable=True),
        sa.Column("detail", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.ForeignKeyConstraint(["member_id"], ["member.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["post_id"], ["prompt_post.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("post_id", "member_id", name="uq_prompt_delivery"),
    )
    with op.batch_alter_table("prompt_delivery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prompt_delivery_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index("ix_prompt_delivery_status_due", ["status", "due_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_prompt_delivery_workspace_id"), ["workspace_id"], unique=False
        )

    # Existing schedules: not DMed, at revision 1 with no job yet (the scheduler adds one).
    with op.batch_alter_table("prompt_schedule", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("dm_members", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(
            sa.Column("job_revision", sa.Integer(), nullable=False, server_default="0")
        )
        batch_op.add_column(
            sa.Column(
                "updated_at",
                storage.models.UtcDateTime(timezone=True),
                nullable=False,
                server_default=sa.func.current_timestamp(),
            )
        )

    with op.batch_alter_table("reflection_response", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("message_ref", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=True)
        )
        batch_op.add_column(sa.Column("lesson_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_reflection_response_lesson_id", "lesson", ["lesson_id"], ["id"], ondelete="SET NULL"
        )


def downgrade() -> None:
    with op.batch_alter_table("reflection_response", schema=None) as batch_op:
        batch_op.drop_constraint("fk_reflection_response_lesson_id", type_="foreignkey")
        batch_op.drop_column("lesson_id")
        batch_op.drop_column("message_ref")

    with op.batch_alter_table("prompt_schedule", schema=None) as batch_op:
        batch_op.drop_column("updated_at")
        batch_op.drop_column("job_revision")
        batch_op.drop_column("revision")
        batch_op.drop_column("dm_members")

    with op.batch_alter_table("prompt_delivery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_delivery_workspace_id"))
        batch_op.drop_index("ix_prompt_delivery_status_due")
        batch_op.drop_index(batch_op.f("ix_prompt_delivery_member_id"))

    op.drop_table("prompt_delivery")
    with op.batch_alter_table("prompt_mute", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_prompt_mute_workspace_id"))
        batch_op.drop_index(batch_op.f("ix_prompt_mute_member_id"))

    op.drop_table("prompt_mute")
    with op.batch_alter_table("digest_schedule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_digest_schedule_workspace_id"))

    op.drop_table("digest_schedule")
    with op.batch_alter_table("scheduled_run", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_scheduled_run_workspace_id"))

    op.drop_table("scheduled_run")
