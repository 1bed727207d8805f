"""`subscribers add --teams-webhook`: checked, shown masked, sent through `digest send`."""

from __future__ import annotations

import json

from tests.httpserver import Reply, scripted_server

PATH = "/workflows/abc123/triggers/manual/paths/invoke"
SIG = "CliSig0123456789abcdefGHIJKLmnopqrstuvwxyz"


def test_a_teams_webhook_is_added_checked_and_shown_masked(cli, portal) -> None:
    unsigned = f"https://prod-12.westeurope.logic.azure.com{PATH}?api-version=1"
    code, _, err = cli("subscribers", "add", "--teams-webhook", unsigned)
    assert code == 2 and "no sig=" in err
    code, _, err = cli("subscribers", "add", "--teams-webhook",
                       f"https://ki.webhook.office.com/webhookb2/{SIG}")  # fmt: skip
    assert code == 2 and "retired" in err and SIG not in err
    with scripted_server() as hook:
        hook.add("POST", PATH, Reply(202, b""))
        url = f"{hook.url}{PATH}?api-version=2016-06-01&sig={SIG}"
        code, out, err = cli("subscribers", "add", "--teams-webhook", url, "--tag", "global-actor")
        assert code == 0 and "added subscriber 1: teams-webhook http://127.0.0.1/…" in out
        code, shown, _ = cli("digest", "preview", "1", "--format", "teams",
                             "--as-of", "2026-06-27T12:50:00+00:00")  # fmt: skip
        [card] = json.loads(shown)
        content = card["attachments"][0]["content"]
        assert code == 0 and content["type"] == "AdaptiveCard" and not hook.requests
        code, out, err = cli("digest", "send", "--as-of", "2026-06-27T12:50:00+00:00")
        assert code == 0 and "sent 1 deliveries" in out and len(hook.requests) == 1
        listed = cli("subscribers", "list")[1] + cli("subscribers", "list", "--json")[1]
        assert SIG not in out + err + listed and SIG[:10] not in listed
