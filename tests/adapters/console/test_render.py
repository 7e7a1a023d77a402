"""Replies as console text: tagged, indented, buttons numbered with the command to type."""

from adapters.console.render import render_lines, tagged
from bot.model import Action, Fields, Form, FormField, Items, Quote, Reply, Text


def test_every_block_kind_renders_and_buttons_show_what_to_type():
    reply = Reply(
        blocks=(
            Text("*Bold* intro"),
            Fields((("Time zone", "UTC"),)),
            Items(("one", "two")),
            Quote("line 1\nline 2", author="bob"),
        ),
        actions=(Action("Claim", "claim 12"), Action("Not me", "decline 12")),
    )
    assert render_lines(reply) == [
        "Bold intro",
        "Time zone: UTC",
        "- one",
        "- two",
        "> bob: line 1",
        "> line 2",
        "[1] Claim: type /claim 12",
        "[2] Not me: type /decline 12",
    ]


def test_quotes_keep_member_text_verbatim_even_with_markup():
    assert render_lines(Reply(blocks=(Quote("*not bold* @here"),))) == ["> *not bold* @here"]


def test_tagged_puts_the_tag_on_the_first_line_and_indents_the_rest():
    reply = Reply(blocks=(Text("first"), Text("second")))
    assert tagged("DM -> bob", reply) == "[DM -> bob] first\n    second"


def test_a_form_shows_the_one_line_syntax_it_would_submit():
    form = Form(
        command="lesson",
        title="Capture a lesson",
        fields=(FormField("title", "Title"), FormField("tags", "Tags", required=False)),
    )
    lines = render_lines(Reply(blocks=(Text("Fill this in"),), form=form))
    assert lines[-1] == "Capture a lesson: type /lesson title: ... | tags: (optional)"
