"""What the CLI and the console show of a destination's URL: where it is, not its tokens."""

from __future__ import annotations

import pytest

from webhooks_cli.operations.destination_views import display_url


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://billing.example.com/hooks", "https://billing.example.com/hooks"),
        ("http://127.0.0.1:8099/relay?token=abc", "http://127.0.0.1:8099/relay"),
        ("https://h.example/p#frag", "https://h.example/p"),
        ("http://[::1]:9000/x", "http://[::1]:9000/x"),
        # Slack and Discord put the token in the path.
        (
            "https://hooks.slack.com/services/T0000000/B0000000/XXXXXXXXXXXXXXXXXXXXXXXX",
            "https://hooks.slack.com/services/T0000000/B0000000/XXXX…",
        ),
        (
            "https://discord.com/api/webhooks/123456789012345678/" + "t" * 68,
            "https://discord.com/api/webhooks/1234…/tttt…",
        ),
    ],
)
def test_display_url_keeps_the_place_and_drops_what_may_be_a_token(url: str, shown: str) -> None:
    assert display_url(url) == shown
