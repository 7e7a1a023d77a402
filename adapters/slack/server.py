"""Serving the Bolt app: an aiohttp HTTP server on PORT, or a Socket Mode connection.

Both run inside the caller's event loop (the one the console, Discord and the scheduler share),
which is why this starts aiohttp's ``AppRunner`` itself instead of ``web.run_app`` (which would
own the loop). Requests go through Bolt's own aiohttp adapter (``to_bolt_request`` and
``to_aiohttp_response``); a body that cannot be parsed is answered 401 when its signature is not
Slack's and 400 when it is, with a log line and nothing run.
"""

from __future__ import annotations

import logging
import sys
import time

from aiohttp import web
from slack_bolt.adapter.aiohttp import to_aiohttp_response, to_bolt_request
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from slack_sdk.signature import SignatureVerifier

from adapters.slack.app import SlackAdapter
from adapters.slack.manifest import EVENTS_PATH

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024  # Slack's payloads are far smaller; anything bigger is not Slack
SWITCH_INTERVAL = 0.0005
"""Seconds a thread may hold the GIL before another gets it (Python's default is 0.005)."""


def favour_the_event_loop() -> None:
    """Let the event loop win the GIL back quickly from database worker threads.

    Database work runs in threads (``Database.run``) so it never blocks the loop, but those
    threads hold the GIL while SQLAlchemy runs Python; at the default 5 ms switch interval the
    loop then waits up to 5 ms per switch, which shows as tail latency on acknowledgements.
    ``bench/slack_http.py`` measured ack p99 at 100 requests/s of about 35 ms with the default
    and about 7 ms with 0.5 ms, and more completed commands per second, not fewer.
    """
    sys.setswitchinterval(SWITCH_INTERVAL)


class HttpServer:
    """``/slack/events`` (and, with OAuth, ``/slack/install`` and the redirect) on a port."""

    def __init__(self, adapter: SlackAdapter) -> None:
        self.adapter = adapter
        self._verifier = SignatureVerifier(adapter.settings.signing_secret or "")
        self.web_app = web.Application(client_max_size=MAX_BODY)
        self.web_app.router.add_post(EVENTS_PATH, self._events)
        flow = adapter.app.oauth_flow
        if flow is not None:
            self.web_app.router.add_get(flow.install_path, self._install)
            self.web_app.router.add_get(flow.redirect_uri_path, self._redirect)
        self.web_app.router.add_get("/healthz", self._health)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, host: str = "0.0.0.0", port: int = 3000) -> int:
        """Listen; returns the port (pass 0 to let the system choose one, as tests do)."""
        self._runner = web.AppRunner(self.web_app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        sockets = site._server.sockets if site._server is not None else []
        self.port = sockets[0].getsockname()[1] if sockets else port
        log.info("Slack endpoints listening on %s:%s%s", host, self.port, EVENTS_PATH)
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _events(self, request: web.Request) -> web.Response:
        try:
            bolt_request = await to_bolt_request(request)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            return await self._malformed(request)
        try:
            response = await self.adapter.app.async_dispatch(bolt_request)
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            # Bolt reads a payload's shape while choosing a listener; a signed payload of an
            # unexpected shape is answered, logged in one line, and nothing runs.
            log.warning(
                "a Slack request had an unexpected shape: %s %s", type(error).__name__, error
            )
            return web.Response(status=400, text="malformed payload")
        return await to_aiohttp_response(response)

    async def _malformed(self, request: web.Request) -> web.Response:
        body = await request.read()
        valid = self._verifier.is_valid(
            body,
            request.headers.get("X-Slack-Request-Timestamp", ""),
            request.headers.get("X-Slack-Signature", ""),
        )
        if not valid:
            return web.Response(status=401, text="invalid signature")
        log.warning("a signed Slack request had a body copbot cannot read (%d bytes)", len(body))
        return web.Response(status=400, text="malformed payload")

    async def _install(self, request: web.Request) -> web.Response:
        flow = self.adapter.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(
            await flow.handle_installation(await to_bolt_request(request))
        )

    async def _redirect(self, request: web.Request) -> web.Response:
        flow = self.adapter.app.oauth_flow
        assert flow is not None
        return await to_aiohttp_response(await flow.handle_callback(await to_bolt_request(request)))

    async def _health(self, request: web.Request) -> web.Response:
        return web.json_response({"ok": True, "time": int(time.time())})


class SocketModeConnection:
    """Socket Mode over slack_sdk's aiohttp client, through Bolt's async handler."""

    def __init__(self, adapter: SlackAdapter, app_token: str) -> None:
        self.handler = AsyncSocketModeHandler(
            adapter.app, app_token=app_token, web_client=adapter.web_client
        )

    async def start(self) -> None:
        await self.handler.connect_async()
        log.info("Slack Socket Mode connected")

    async def stop(self) -> None:
        await self.handler.close_async()
