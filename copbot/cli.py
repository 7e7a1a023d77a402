"""The ``copbot`` command: run, console, demo, db.

Settings are read here, once, from the environment and ``.env``; a bad one stops start-up with a
single line naming the variable. Everything else is built from them and passed down.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

import click
from dotenv import load_dotenv

from bot.clock import SystemClock
from bot.config import Settings
from bot.errors import ConfigError
from bot.services.demo import load_demo
from copbot.serve import build_core, serve, serve_console
from storage import migrate
from storage.db import Database


def _settings() -> Settings:
    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        return Settings.from_env(os.environ)
    except ConfigError as error:
        raise click.ClickException(f"configuration error: {error}") from None


def _logging(settings: Settings) -> None:
    logging.basicConfig(
        level=settings.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if settings.log_level != "DEBUG":
        # Alembic narrates every step at INFO; only its warnings matter to an operator.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _database(settings: Settings, *, must_be_current: bool = True) -> Database:
    db = Database.from_url(settings.database_url)
    if must_be_current:
        try:
            current = migrate.is_up_to_date(db.engine)
        except Exception as error:  # connection refused, bad credentials, missing driver
            raise click.ClickException(
                f"cannot open the database {settings.redacted_database_url}: "
                f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"
            ) from None
        if not current:
            raise click.ClickException(
                f"the database {settings.redacted_database_url} is not up to date; "
                "run `copbot db upgrade` (make run does it for you)"
            )
    return db


@click.group()
def main() -> None:
    """copbot: a community-of-practice bot for Slack, Discord and the console."""


@main.command()
def run() -> None:
    """Start every configured platform; the console when none is."""
    settings = _settings()
    _logging(settings)
    db = _database(settings)
    asyncio.run(serve(build_core(settings, db, SystemClock())))


@main.command()
@click.option("--as", "user", default="you", show_default=True, help="Who you are at the start.")
def console(user: str) -> None:
    """Talk to copbot in the terminal (or pipe a script of commands into it)."""
    settings = _settings()
    _logging(settings)
    db = _database(settings)
    asyncio.run(serve_console(build_core(settings, db, SystemClock()), user=user))


@main.command()
def demo() -> None:
    """Load a small demo community into the console's workspace."""
    settings = _settings()
    _logging(settings)
    db = _database(settings)
    loaded = db.run_sync(load_demo, settings.console_workspace, SystemClock().now())
    if loaded:
        click.echo(
            "Loaded the demo community: alice (admin), bob, carol, dan (facilitator), erin.\n"
            "Try: copbot console --as bob, then /profile and /help."
        )
    else:
        click.echo("The demo community is already loaded; nothing changed.")


@main.group()
def db() -> None:
    """Database migrations."""


@db.command("upgrade")
@click.argument("revision", default="head")
def db_upgrade(revision: str) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    settings = _settings()
    _logging(settings)
    database = _database(settings, must_be_current=False)
    try:
        migrate.upgrade(database.engine, revision)
    except Exception as error:
        raise click.ClickException(
            f"could not migrate {settings.redacted_database_url}: {type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}"
        ) from None
    click.echo(
        f"Database {settings.redacted_database_url} is at revision "
        f"{migrate.current_revision(database.engine)}."
    )


@db.command("current")
def db_current() -> None:
    """Print the database's migration revision."""
    settings = _settings()
    database = _database(settings, must_be_current=False)
    click.echo(migrate.current_revision(database.engine) or "empty (run copbot db upgrade)")
