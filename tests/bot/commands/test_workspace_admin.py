"""/admin purge deletes one workspace's data after a confirmation; /admin facilitator."""

import json

import sqlalchemy as sa

from bot.commands import build_registry
from bot.context import Runtime
from bot.dispatch import Dispatcher
from storage.models import Member, Workspace
from tests.fakes.commands import actor, command


def dispatcher_on(db, port, clock, settings) -> Dispatcher:
    return Dispatcher(build_registry(), Runtime(db=db, port=port, clock=clock, settings=settings))


def text(replies) -> str:
    return json.dumps([str(r) for r in replies])


def count(db, model, **where) -> int:
    with db.engine.connect() as c:
        query = sa.select(sa.func.count()).select_from(model)
        for column, value in where.items():
            query = query.where(getattr(model, column) == value)
        return c.execute(query).scalar_one()


async def test_admin_purge_asks_first_then_deletes_only_this_workspace(db, port, clock, settings):
    d = dispatcher_on(db, port, clock, settings)
    admin = actor("alice", workspace="T1", admin=True)
    for who in (actor("bob", workspace="T1"), actor("dave", workspace="T2")):
        await d.handle(command("/profile timezone Europe/Berlin", who))
    denied = await d.handle(command("/admin purge confirm", actor("bob", workspace="T1")))
    assert "Only admins" in text(denied)

    offer = await d.handle(command("/admin purge", admin))
    assert "1 member profiles" in text(offer)
    assert offer[0].actions[0].command == "admin purge confirm"
    assert count(db, Member) == 2  # nothing deleted by asking

    done = await d.handle(command("/admin purge confirm", admin))
    assert "Deleted all of this workspace's data" in text(done)
    with db.engine.connect() as c:
        left = c.execute(sa.select(Workspace.external_id)).scalars().all()
    assert "T1" not in left and "T2" in left
    assert count(db, Member) == 1  # dave, in the other workspace


async def test_admin_facilitator_add_and_remove(db, port, clock, settings):
    d = dispatcher_on(db, port, clock, settings)
    await d.handle(command("/profile timezone UTC", actor("dan")))
    admin = actor("alice", admin=True)
    added = await d.handle(command("/admin facilitator add @dan", admin))
    assert "@dan is now a facilitator" in text(added)
    roles = await d.handle(command("/roles", admin))
    assert "@dan: facilitator" in text(roles)
    removed = await d.handle(command("/admin facilitator remove @dan", admin))
    assert "member again" in text(removed)
