"""Rebuilding IRC help threads from raw logs and reply links, on tiny synthetic samples."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from bench import lessons
from bench.irc_threads import (
    LineKind,
    build_threads,
    components,
    list_samples,
    load_threads,
    parse_links,
    parse_raw_log,
)

SAMPLE = "2005-01-02.train-a"
RAW = """\
[23:58] <alice> how do I mount an iso file?
=== bob [~bob@example.org] has joined #ubuntu
[23:59] <bob> alice: run sudo mount -o loop file.iso /mnt
[23:59]  * carol waves
[00:01] <alice> thanks bob, that worked
[00:02] <[optik] > hola
[00:03] <dave> is there a way to list usb devices?
[00:04] <erin> dave: lsusb
"""
LINKS = """\
0 0 -
0 2 -
1 2 -
4 2 -
3 3 -
5 5 -
6 6 -
6 7 -
this line is not a link
"""


def write_sample(folder: Path, name: str = SAMPLE, raw: str = RAW, links: str = LINKS) -> None:
    (folder / f"{name}.raw.txt").write_text(raw, encoding="utf-8")
    (folder / f"{name}.annotation.txt").write_text(links, encoding="utf-8")


def test_lines_are_parsed_into_messages_actions_and_system_lines():
    lines = parse_raw_log(RAW, date(2005, 1, 2))

    assert [line.kind for line in lines[:4]] == [
        LineKind.MESSAGE,
        LineKind.SYSTEM,
        LineKind.MESSAGE,
        LineKind.ACTION,
    ]
    assert (lines[0].nick, lines[0].text) == ("alice", "how do I mount an iso file?")
    assert (lines[3].nick, lines[3].text) == ("carol", "waves")
    assert lines[1].nick is None and lines[1].at is None
    assert lines[5].nick == "[optik]"  # the log wrote "<[optik] >"


def test_clock_rolls_over_to_the_next_day_after_midnight():
    lines = parse_raw_log(RAW, date(2005, 1, 2))

    assert lines[0].at == datetime(2005, 1, 2, 23, 58, tzinfo=UTC)
    assert lines[4].at == datetime(2005, 1, 3, 0, 1, tzinfo=UTC)


def test_small_clock_steps_backwards_stay_on_the_same_day():
    lines = parse_raw_log("[10:05] <a> x\n[10:04] <b> y\n", date(2005, 1, 2))

    assert lines[1].at == datetime(2005, 1, 2, 10, 4, tzinfo=UTC)


def test_links_are_ordered_earlier_first_and_junk_is_skipped():
    assert parse_links("4 2 -\n3 3 -\nnot a link\n7\n") == ((2, 4), (3, 3))


def test_components_join_linked_lines_transitively():
    assert components([(1, 2), (2, 5), (3, 3), (7, 5)]) == [(1, 2, 5, 7), (3,)]


def test_threads_from_links_drop_system_lines_and_keep_reply_links(tmp_path):
    write_sample(tmp_path)

    threads = load_threads(tmp_path)

    numbers = [[line.number for line in t.lines] for t in threads]
    assert numbers == [[0, 2, 4], [3], [5], [6, 7]]
    mount = threads[0]
    assert mount.speakers == ("alice", "bob")
    assert mount.parents(4) == (2,)
    assert mount.parents(2) == (0,)
    assert mount.day == date(2005, 1, 2)


def test_threads_from_gold_clusters_use_the_published_grouping(tmp_path):
    write_sample(tmp_path)
    (tmp_path / "gold.train.clusters.txt").write_text(
        "2005-01-02:0 2\n2005-01-02:4\n2005-01-02:6 7 99\n", encoding="utf-8"
    )

    threads = load_threads(tmp_path, structure="clusters")

    assert [[line.number for line in t.lines] for t in threads] == [[0, 2], [4], [6, 7]]


def test_unknown_structure_is_refused(tmp_path):
    write_sample(tmp_path)

    with pytest.raises(ValueError, match="structure"):
        load_threads(tmp_path, structure="guess")  # type: ignore[arg-type]


def test_samples_need_both_files_and_can_be_filtered_by_year(tmp_path):
    write_sample(tmp_path)
    write_sample(tmp_path, name="2012-06-01.train-c")
    (tmp_path / "2013-01-01.train-a.raw.txt").write_text(RAW, encoding="utf-8")

    assert list_samples(tmp_path) == [SAMPLE, "2012-06-01.train-c"]
    later = load_threads(tmp_path, years=range(2011, 2019))
    assert {t.sample for t in later} == {"2012-06-01.train-c"}


def test_invalid_bytes_in_a_log_do_not_stop_loading(tmp_path):
    write_sample(tmp_path)
    raw = tmp_path / f"{SAMPLE}.raw.txt"
    raw.write_bytes(raw.read_bytes().replace(b"hola", b"hol\xe1\x7f"))

    threads = load_threads(tmp_path)

    assert threads[2].lines[0].text.startswith("hol")


def test_links_to_lines_past_the_end_of_the_log_are_ignored():
    lines = parse_raw_log("[10:00] <a> question?\n[10:01] <b> answer\n", date(2005, 1, 2))

    threads = build_threads(SAMPLE, lines, [(0, 1), (1, 40)])

    assert [[line.number for line in t.lines] for t in threads] == [[0, 1]]


def test_drafting_bench_runs_end_to_end_and_writes_json(tmp_path, capsys):
    write_sample(tmp_path)
    out = tmp_path / "out" / "drafting.json"

    assert lessons.main(["drafting", str(tmp_path), "--json", str(out)]) == 0

    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["threads"] == 4
    assert report["threads_with_confirmation_used"] == 1
    assert report["shipped"] == "drafter"
    drafter = report["methods"]["drafter"]
    assert drafter["hit"] == 1.0
    assert drafter["thanked_hit"] == 1.0
    assert set(report["methods"]) >= {"first_helper", "longest_helper", "drafter@1"}
    assert "2004-2010 (tuning)" in report["splits"]
    assert "drafter@1" in capsys.readouterr().out


def test_drafting_bench_fails_clearly_on_an_empty_folder(tmp_path, capsys):
    assert lessons.main(["drafting", str(tmp_path)]) == 1
    assert "no threads" in capsys.readouterr().err
