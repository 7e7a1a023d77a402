"""The Slack adapter: slack-bolt's AsyncApp over HTTP or Socket Mode, Block Kit out.

``app.py`` acknowledges every request at once and runs the core in a background task;
``translate.py`` and ``render.py`` are pure (payload -> Command, Reply -> Block Kit);
``port.py`` is the ChatPort over slack_sdk's AsyncWebClient; ``store.py`` keeps installations
encrypted on copbot's database; ``seen.py`` makes retried deliveries idempotent across workers.
"""
