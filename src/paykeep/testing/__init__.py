"""The merchant's pytest kit (API.md §11): the plugin (pytest_plugin.py, entry point `pytest11 = paykeep`)
and what it is made of (kit.py: the server process, accounts, the webhook receiver), usable without pytest."""

from paykeep.testing.kit import (
    KitError,
    PaykeepAccount,
    PaykeepServer,
    ServerProcess,
    WebhookInbox,
    challenge_url,
    verify_signature,
)

__all__ = ["KitError", "PaykeepAccount", "PaykeepServer", "ServerProcess", "WebhookInbox", "challenge_url",
           "verify_signature"]
