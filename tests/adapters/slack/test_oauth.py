"""OAuth end to end against the fake oauth.v2.access; installations encrypted at rest."""

import json
import logging
import re
import time

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet
from slack_sdk.oauth.installation_store.models.installation import Installation

from adapters.slack.crypto import TokenCipher, TokenDecryptError
from adapters.slack.redact import protect_logs
from adapters.slack.store import EncryptedInstallationStore
from storage.slack_tables import slack_bots, slack_installations
from tests.adapters.slack.conftest import CLIENT_ID, CLIENT_SECRET, SECRET_KEY, SIGNING_SECRET
from tests.fakes.slack_api import OAuthGrant


async def install(harness, team: str, code: str, bot_token: str, **grant) -> int:
    """Open /slack/install, then follow Slack's redirect back with the code and the state."""
    fake, session = harness.fake, harness.send.session
    fake.grant(code, OAuthGrant(team=team, bot_token=bot_token, installer="U0INSTALLER", **grant))
    async with session.get(f"{harness.url}/slack/install", allow_redirects=False) as page:
        assert page.status == 200
        html = await page.text()
        cookie = page.headers["Set-Cookie"].split(";")[0]
    state = re.search(r"state=([\w-]+)", html).group(1)
    assert f"client_id={CLIENT_ID}" in html and "commands" in html
    url = f"{harness.url}/slack/oauth_redirect?code={code}&state={state}"
    async with session.get(url, headers={"Cookie": cookie}, allow_redirects=False) as done:
        return done.status


def raw_rows(db, table) -> list[dict]:
    with db.engine.connect() as connection:
        return [dict(r._mapping) for r in connection.execute(sa.select(table))]


async def test_install_stores_the_workspace_with_every_token_encrypted(slack_oauth):
    token, refresh = "xoxb-t1-secret-bot-token", "xoxe-1-t1-secret-refresh"
    status = await install(
        slack_oauth, "T1", "code-1", token, refresh_token=refresh, expires_in=43200
    )
    assert status == 200
    exchange = slack_oauth.fake.calls_to("oauth.v2.access")
    assert exchange[0].params["code"] == "code-1"

    for table in (slack_installations, slack_bots):
        rows = raw_rows(slack_oauth.db, table)
        assert len(rows) == 1 and rows[0]["team_id"] == "T1"
        dumped = json.dumps(rows, default=str)
        assert "xoxb-" not in dumped and "xoxe-" not in dumped
        assert rows[0]["bot_token"].startswith("gAAAAA")  # Fernet ciphertext
    found = await slack_oauth.adapter.store.async_find_bot(enterprise_id=None, team_id="T1")
    assert (found.bot_token, found.bot_refresh_token) == (token, refresh)


async def test_an_installed_workspace_is_served_with_its_own_token(slack_oauth):
    await install(slack_oauth, "T1", "code-1", "xoxb-t1-installed")
    sent = await slack_oauth.send.command("T1", "UBOB", "profile")
    assert sent.status == 200
    await slack_oauth.settle()
    assert slack_oauth.fake.calls_to("users.info")[0].token == "xoxb-t1-installed"
    assert "bob" in json.dumps(slack_oauth.fake.calls_to("response_url")[0].params)


async def test_a_workspace_that_is_not_installed_gets_a_clear_answer(slack_oauth):
    sent = await slack_oauth.send.command("T2", "UDAVE", "help")
    await slack_oauth.settle()
    told = sent.text + json.dumps([c.params for c in slack_oauth.fake.calls_to("response_url")])
    assert "not installed in this workspace" in told


async def test_a_bad_state_or_code_fails_the_install_and_stores_nothing(slack_oauth):
    session = slack_oauth.send.session
    url = f"{slack_oauth.url}/slack/oauth_redirect?code=nope&state=forged"
    async with session.get(url, headers={"Cookie": "slack-app-oauth-state=forged"}) as r:
        assert r.status in (400, 401)
    assert raw_rows(slack_oauth.db, slack_installations) == []


async def test_uninstalling_deletes_the_installation_and_its_tokens(slack_oauth, caplog):
    await install(slack_oauth, "T1", "code-1", "xoxb-t1-gone-soon")
    with caplog.at_level(logging.INFO):
        sent = await slack_oauth.send.event("T1", {"type": "app_uninstalled"})
        await slack_oauth.settle()
    assert sent.status == 200
    assert raw_rows(slack_oauth.db, slack_installations) == []
    assert raw_rows(slack_oauth.db, slack_bots) == []
    assert "uninstalled copbot" in caplog.text


async def test_revoked_bot_tokens_are_deleted(slack_oauth):
    await install(slack_oauth, "T1", "code-1", "xoxb-t1-revoked")
    event = {"type": "tokens_revoked", "tokens": {"oauth": [], "bot": ["UCOPBOT"]}}
    await slack_oauth.send.event("T1", event)
    await slack_oauth.settle()
    assert raw_rows(slack_oauth.db, slack_bots) == []


async def test_an_expiring_token_is_rotated_and_the_new_one_stored_encrypted(slack_oauth):
    await install(
        slack_oauth, "T1", "code-1", "xoxb-t1-old", refresh_token="xoxe-1-t1-old", expires_in=60
    )
    await slack_oauth.send.command("T1", "UBOB", "help")
    await slack_oauth.settle()
    refreshes = [
        c
        for c in slack_oauth.fake.calls_to("oauth.v2.access")
        if c.params.get("grant_type") == "refresh_token"
    ]
    assert refreshes, "the token was not refreshed"
    bot = await slack_oauth.adapter.store.async_find_bot(enterprise_id=None, team_id="T1")
    assert bot.bot_token != "xoxb-t1-old" and bot.bot_token.startswith("xoxb-t1-r")
    assert bot.bot_token_expires_at > time.time()
    assert "xoxb-" not in json.dumps(raw_rows(slack_oauth.db, slack_bots), default=str)
    assert slack_oauth.fake.calls_to("response_url")  # and the command was answered


async def test_two_workspaces_at_once_never_see_each_others_data(slack_oauth):
    await install(slack_oauth, "T1", "code-1", "xoxb-t1-one")
    await install(slack_oauth, "T2", "code-2", "xoxb-t2-two")
    await slack_oauth.send.command("T1", "UBOB", "profile timezone Europe/Paris")
    await slack_oauth.send.command("T2", "UDAVE", "profile quiet 22:00-07:00")
    await slack_oauth.settle()
    before = len(slack_oauth.fake.calls)
    await slack_oauth.send.command("T1", "UBOB", "profile")
    await slack_oauth.send.command("T2", "UDAVE", "profile")
    await slack_oauth.settle()
    answers = {
        c.team: json.dumps(c.params)
        for c in slack_oauth.fake.calls[before:]
        if c.method == "response_url"
    }
    assert "Europe/Paris" in answers["T1"] and "22:00" not in answers["T1"]
    assert "22:00" in answers["T2"] and "Europe/Paris" not in answers["T2"]
    tokens = {
        (c.team, c.token) for c in slack_oauth.fake.calls if c.token and c.method == "users.info"
    }
    assert tokens == {("T1", "xoxb-t1-one"), ("T2", "xoxb-t2-two")}


async def test_no_token_or_secret_reaches_the_log_even_at_debug(slack_oauth, caplog):
    protect_logs([SIGNING_SECRET, CLIENT_SECRET, SECRET_KEY])
    with caplog.at_level(logging.DEBUG):
        await install(slack_oauth, "T1", "code-1", "xoxb-t1-very-secret", refresh_token="xoxe-1-x")
        await slack_oauth.send.command("T1", "UBOB", "help")
        await slack_oauth.settle()
        logging.getLogger("test").debug("leak? %s %s", "xoxb-t1-very-secret", CLIENT_SECRET)
    assert "oauth.v2.access" in caplog.text  # slack_sdk did log its calls at DEBUG
    for secret in ("xoxb-t1-very-secret", "xoxe-1-x", SIGNING_SECRET, CLIENT_SECRET, SECRET_KEY):
        assert secret not in caplog.text


def test_a_store_with_another_key_cannot_read_the_tokens(sqlite_db):
    store = EncryptedInstallationStore(CLIENT_ID, sqlite_db.engine, TokenCipher(SECRET_KEY))
    installation = Installation(
        app_id="A1", team_id="T1", bot_token="xoxb-1", bot_id="B1", bot_user_id="U1", user_id="U2"
    )
    other = EncryptedInstallationStore(
        CLIENT_ID, sqlite_db.engine, TokenCipher(Fernet.generate_key().decode())
    )
    rotated = EncryptedInstallationStore(
        CLIENT_ID, sqlite_db.engine, TokenCipher(f"{Fernet.generate_key().decode()},{SECRET_KEY}")
    )

    async def scenario():
        await store.async_save(installation)
        assert (
            await rotated.async_find_bot(enterprise_id=None, team_id="T1")
        ).bot_token == "xoxb-1"
        with pytest.raises(TokenDecryptError):
            await other.async_find_bot(enterprise_id=None, team_id="T1")

    import asyncio

    asyncio.run(scenario())


def test_a_passphrase_key_is_stretched_into_a_working_cipher():
    cipher = TokenCipher("correct horse battery staple and then some more")
    sealed = cipher.encrypt("xoxb-abc")
    assert sealed != "xoxb-abc" and cipher.decrypt(sealed) == "xoxb-abc"
    assert cipher.encrypt(None) is None
