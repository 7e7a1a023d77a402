"""Lessons through the real `copbot` program: captured and searched in the console, exported,
imported into an empty database and exported again to the very same file."""

import json
from pathlib import Path

from tests.fakes.cli import run_copbot

SCRIPT = """\
@bob /lesson title: Vacuum stalls on big tables | context: nightly batch | learned: long transactions hold back vacuum | tags: postgres, ops
@carol /lesson title: <!channel> *Friday* deploys | learned: deploy on Tuesdays @here | tags: ops
@alice /lesson helpful 1
@alice /lessons vacuum
@alice /lessons "NEAR * OR
"""  # noqa: E501


def copbot(args, cwd: Path, db: Path, stdin: str = ""):
    return run_copbot(args, cwd, stdin, db=db)


def test_capture_search_export_import_export_gives_the_same_file(tmp_path):
    first, second = tmp_path / "first.db", tmp_path / "second.db"
    for db in (first, second):
        assert copbot(["db", "upgrade"], tmp_path, db).returncode == 0
    session = copbot(["console"], tmp_path, first, SCRIPT)
    assert session.returncode == 0, session.stderr
    assert "Saved lesson #1" in session.stdout and "Saved lesson #2" in session.stdout
    assert "Lesson #1" in session.stdout and "long transactions" in session.stdout
    assert "Traceback" not in session.stdout + session.stderr

    exported = copbot(["export", "lessons", "--format", "json", "one.json"], tmp_path, first)
    assert exported.returncode == 0, exported.stderr
    assert "Exported 2 lesson(s)" in exported.stdout
    imported = copbot(["import", "lessons", "one.json"], tmp_path, second)
    assert imported.returncode == 0 and "Imported 2 lesson(s)" in imported.stdout
    again = copbot(["export", "lessons", "--format", "json", "two.json"], tmp_path, second)
    assert again.returncode == 0, again.stderr
    one, two = (tmp_path / "one.json").read_text(), (tmp_path / "two.json").read_text()
    assert one == two
    data = json.loads(one)
    assert data["lessons"][1]["title"] == "<!channel> *Friday* deploys"  # verbatim
    assert data["lessons"][0]["helpful_count"] == 1


def test_markdown_export_writes_one_file_per_lesson_with_front_matter(tmp_path):
    db = tmp_path / "copbot.db"
    copbot(["db", "upgrade"], tmp_path, db)
    copbot(["console"], tmp_path, db, SCRIPT)
    done = copbot(["export", "lessons", "--format", "markdown", "wiki"], tmp_path, db)
    assert done.returncode == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "wiki").iterdir())
    assert files == ["0001-vacuum-stalls-on-big-tables.md", "0002-channel-friday-deploys.md"]
    text = (tmp_path / "wiki" / files[0]).read_text()
    assert text.startswith("---\ntitle: Vacuum stalls on big tables\n")
    assert "## What we learned\n\nlong transactions hold back vacuum" in text


def test_a_bad_import_file_imports_nothing_and_says_why(tmp_path):
    db = tmp_path / "copbot.db"
    copbot(["db", "upgrade"], tmp_path, db)
    bad = {"format": "copbot-lessons", "version": 1, "lessons": [
        {"title": "fine", "learned": "ok"}, {"title": "", "learned": "no title"}]}  # fmt: skip
    (tmp_path / "bad.json").write_text(json.dumps(bad))
    done = copbot(["import", "lessons", "bad.json"], tmp_path, db)
    assert done.returncode != 0
    assert "nothing imported: lesson 2: 'title' is empty." in done.stderr
    exported = copbot(["export", "lessons", "x.json"], tmp_path, db)
    assert "Exported 0 lesson(s)" in exported.stdout or "no workspace" in exported.stderr
