"""The routing loop as a newcomer sees it in the console: ask, DMs to experts, claim, answer,
resolve, and the expertise it teaches."""

from tests.fakes.cli import run_copbot

SCRIPT = """\
@bob /expertise add postgres, kubernetes
@dan /expertise add postgres
@erin /expertise add python
@carol #questions /ask [postgres] why does vacuum never finish on our 2TB table? @here
@bob /claim 1
@dan /claim 1
@bob /answer 1 Check pg_stat_activity for sessions idle in transaction.
@carol /resolve 1 @bob
@erin /who-knows postgres
"""


def test_ask_dm_claim_answer_resolve_in_the_console(tmp_path):
    def run(args, stdin=""):
        return run_copbot(args, tmp_path, stdin)

    assert run(["db", "upgrade"]).returncode == 0
    result = run(["console"], SCRIPT)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Traceback" not in out + result.stderr
    # the question goes to the channel as a thread root, member text quoted
    assert "[#questions] Question #1 from @carol · postgres" in out
    assert "    > why does vacuum never finish on our 2TB table? @here" in out
    # both experts get a DM with the why and the three actions; the asker gets none
    for expert in ("bob", "dan"):
        assert f"[DM -> {expert}] @carol asked a question you may know about (#1):" in out
    assert "Why you: you declared postgres." in out  # only the topics that matter here
    assert "[1] Claim: type /claim 1" in out and "[2] Not me: type /decline 1" in out
    assert "[DM -> erin]" not in out.split("[ephemeral -> carol]")[0]
    # first claim wins, the thread is told, the other DM is updated
    assert "[#questions thread 1] @bob is on it." in out
    assert "Question #1: claimed by @bob." in out
    assert "[ephemeral -> dan] Question #1 is already claimed by @bob." in out
    # the answer reaches the thread and the asker, with a Solved-by button
    assert "[DM -> carol] @bob answered your question #1:" in out
    assert "Solved by @bob: type /resolve 1 @bob" in out
    # resolution is announced and teaches expertise
    assert "Resolved: the accepted answer is from @bob." in out
    assert "@bob: answered 1 question tagged postgres; declared postgres" in out
    assert out.index("@bob: answered") < out.index("@dan: declared postgres")
