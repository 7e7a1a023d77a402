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
from copbot.discord_app import discord_cli
from copbot.serve import build_core, serve, serve_console
from copbot.slack import slack_cli
from storage import migrate
from storage.db import Database


def _settings() -> Settings:
    load_dotenv(Path.cwd() / ".env", override=False)
    try:
        return Settings.from_env(os.environ)
    except ConfigError as error:
        raise click.ClickException(f"configuration error: {error}") from None


def _logging(settings: Settings, *, console: bool = False) -> None:
    """Log to stderr at the configured level. In the console a person is reading the same
    terminal, so routine INFO lines stay out of the way unless COPBOT_LOG_LEVEL asks for them."""
    level = settings.log_level
    if console and "COPBOT_LOG_LEVEL" not in os.environ and level == "INFO":
        level = "WARNING"
    logging.basicConfig(
        level=level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if settings.log_level != "DEBUG":
        # Alembic narrates every step at INFO; only its warnings matter to an operator.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        # APScheduler logs every job added and run at INFO; copbot logs what matters itself.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)


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
    _logging(settings, console=settings.slack is None and settings.discord is None)
    db = _database(settings)
    asyncio.run(serve(build_core(settings, db, SystemClock())))


@main.command()
@click.option("--as", "user", default="you", show_default=True, help="Who you are at the start.")
def console(user: str) -> None:
    """Talk to copbot in the terminal (or pipe a script of commands into it)."""
    settings = _settings()
    _logging(settings, console=True)
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


main.add_command(slack_cli)
main.add_command(discord_cli)


@main.group()
def stats() -> None:
    """Community health figures."""


@stats.command("export")
@click.option(
    "--csv", "path", required=True, type=click.Path(dir_okay=False), help="File to write."
)
@click.option("--days", default=7, show_default=True, type=click.IntRange(1, 365))
def stats_export(path: str, days: int) -> None:
    """Write each workspace's figures (the /stats numbers) to a CSV file for spreadsheets."""
    import csv

    from bot.services.stats import EXPORT_COLUMNS, export_rows

    settings = _settings()
    _logging(settings)
    rows = _database(settings).run_sync(export_rows, SystemClock().now(), days)
    try:
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=EXPORT_COLUMNS)
            writer.writeheader()
            writer.writerows(rows)
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from None
    click.echo(f"Wrote {len(rows)} workspace(s), the last {days} days, to {path}.")


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


def _workspace_option(value: str | None, settings: Settings) -> tuple[str, str]:
    """``slack:T123`` -> ("slack", "T123"); the console's workspace when not given."""
    if not value:
        return "console", settings.console_workspace
    platform, sep, key = value.partition(":")
    if not sep or platform not in ("console", "slack", "discord") or not key:
        raise click.BadParameter("use PLATFORM:KEY, e.g. slack:T0123 or console:console")
    return platform, key


WORKSPACE_HELP = "PLATFORM:KEY of the workspace (default: the console's)."


@main.group("export")
def export_group() -> None:
    """Export a workspace's data."""


@export_group.command("lessons")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="json")
@click.option("--workspace", "workspace", default=None, help=WORKSPACE_HELP)
@click.argument("path", type=click.Path())
def export_lessons(fmt: str, workspace: str | None, path: str) -> None:
    """Write every lesson to PATH: one JSON file, or a folder of Markdown files."""
    from bot.services import lesson_transfer
    from storage.repos import workspaces

    settings = _settings()
    platform, key = _workspace_option(workspace, settings)

    def load(session):  # noqa: ANN001, ANN202 - a unit of work
        found = workspaces.get_by_key(session, platform, key)
        if found is None:
            raise click.ClickException(f"there is no workspace {platform}:{key} in the database")
        return lesson_transfer.export_data(session, found)

    data = _database(settings).run_sync(load)
    target = Path(path)
    try:
        if fmt == "json":
            target.write_text(lesson_transfer.to_json(data), encoding="utf-8")
        else:
            target.mkdir(parents=True, exist_ok=True)
            for name, text in lesson_transfer.to_markdown(data).items():
                (target / name).write_text(text, encoding="utf-8")
    except OSError as error:
        raise click.ClickException(f"cannot write {path}: {error.strerror}") from None
    click.echo(f"Exported {len(data['lessons'])} lesson(s) of {platform}:{key} to {path}.")


@main.group("import")
def import_group() -> None:
    """Import data exported by copbot."""


@import_group.command("lessons")
@click.option("--workspace", "workspace", default=None, help=WORKSPACE_HELP)
@click.argument("path", type=click.Path(exists=True, dir_okay=False))
def import_lessons(workspace: str | None, path: str) -> None:
    """Add the lessons of a JSON export (copbot export lessons --format json) in one go."""
    import json

    from bot.errors import UserError
    from bot.services import lesson_transfer

    settings = _settings()
    platform, key = _workspace_option(workspace, settings)
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise click.ClickException(f"cannot read {path}: {error}") from None
    try:
        _ws, count = _database(settings).run_sync(
            lesson_transfer.import_data, platform, key, data, SystemClock().now()
        )
    except UserError as error:
        raise click.ClickException(f"nothing imported: {error.line()}") from None
    click.echo(f"Imported {count} lesson(s) into {platform}:{key}.")
