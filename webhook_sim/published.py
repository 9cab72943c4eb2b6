"""Documents shaped like the senders' own published examples, in every encoding each documents.

The one collection of sender bodies: `webhook_sim.samples` builds on these (with the delivery's
own id, type and time); `samples()` lists each scheme's encodings for the payload tests.

Field sets follow the senders' webhook references (GitHub's pull_request and issue_comment
payloads, Stripe's Event and Invoice objects, Slack's Events API, interactivity and slash-command
requests, Twilio's messaging and voice webhooks and Event Streams, Shopify's orders/create,
GitLab's Merge Request Hook, Discord's interaction object, Standard Webhooks' example): nested,
full-size, with non-ASCII text. `expected` is what `Event.payload()` must return.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
NON_ASCII = "Ünïcödé — 你好, привет, 🚀 «quoted» ½"


@dataclass(frozen=True)
class Sample:
    name: str
    source: str  # a demo source (infra/demo-sources.toml)
    event_type: str  # sent where the sender puts it (header) when the scheme reads it there
    content_type: str
    body: bytes
    expected: Any


def _github_user(login: str, user_id: int) -> dict[str, Any]:
    api = f"https://api.github.com/users/{login}"
    return {
        "login": login,
        "id": user_id,
        "node_id": f"MDQ6VXNlcj{user_id}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{user_id}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"https://github.com/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "User",
        "user_view_type": "public",
        "site_admin": False,
    }


def _github_repository(full_name: str, repo_id: int) -> dict[str, Any]:
    owner, name = full_name.split("/")
    api = f"https://api.github.com/repos/{full_name}"
    urls = {
        f"{kind}_url": f"{api}/{kind}{suffix}"
        for kind, suffix in [
            ("forks", ""),
            ("keys", "{/key_id}"),
            ("collaborators", "{/collaborator}"),
            ("teams", ""),
            ("hooks", ""),
            ("issue_events", "{/number}"),
            ("events", ""),
            ("assignees", "{/user}"),
            ("branches", "{/branch}"),
            ("tags", ""),
            ("blobs", "{/sha}"),
            ("git_tags", "{/sha}"),
            ("git_refs", "{/sha}"),
            ("trees", "{/sha}"),
            ("statuses", "{sha}"),
            ("languages", ""),
            ("stargazers", ""),
            ("contributors", ""),
            ("subscribers", ""),
            ("subscription", ""),
            ("commits", "{/sha}"),
            ("git_commits", "{/sha}"),
            ("comments", "{/number}"),
            ("issue_comment", "{/number}"),
            ("contents", "{+path}"),
            ("compare", "{base}...{head}"),
            ("merges", ""),
            ("archive", "{archive_format}{/ref}"),
            ("downloads", ""),
            ("issues", "{/number}"),
            ("pulls", "{/number}"),
            ("milestones", "{/number}"),
            ("notifications", "{?since,all,participating}"),
            ("labels", "{/name}"),
            ("releases", "{/id}"),
            ("deployments", ""),
        ]
    }
    return {
        "id": repo_id,
        "node_id": f"R_kgDO{repo_id}",
        "name": name,
        "full_name": full_name,
        "private": False,
        "owner": _github_user(owner, 9919),
        "html_url": f"https://github.com/{full_name}",
        "description": f"Démo repository {NON_ASCII}",
        "fork": False,
        "url": api,
        **urls,
        "created_at": "2024-01-05T10:20:30Z",
        "updated_at": "2026-11-02T08:00:01Z",
        "pushed_at": "2026-11-29T17:59:59Z",
        "git_url": f"git://github.com/{full_name}.git",
        "ssh_url": f"git@github.com:{full_name}.git",
        "clone_url": f"https://github.com/{full_name}.git",
        "svn_url": f"https://github.com/{full_name}",
        "homepage": None,
        "size": 4812,
        "stargazers_count": 42,
        "watchers_count": 42,
        "language": "Python",
        "has_issues": True,
        "has_projects": True,
        "has_downloads": True,
        "has_wiki": False,
        "has_pages": False,
        "has_discussions": False,
        "forks_count": 3,
        "mirror_url": None,
        "archived": False,
        "disabled": False,
        "open_issues_count": 7,
        "license": {"key": "mit", "name": "MIT License", "spdx_id": "MIT", "url": None},
        "allow_forking": True,
        "is_template": False,
        "web_commit_signoff_required": False,
        "topics": ["webhooks", "serverless"],
        "visibility": "public",
        "forks": 3,
        "open_issues": 7,
        "watchers": 42,
        "default_branch": "main",
    }


def github_pull_request(number: int = 1347, updated_at: str = "2026-11-29T18:00:00Z") -> Any:
    repository = _github_repository("octo-org/hello-wörld", 1296269)
    author = _github_user("octocat", 1)
    base = f"https://api.github.com/repos/{repository['full_name']}"

    def branch(ref: str, sha: str) -> dict[str, Any]:
        return {
            "label": f"octocat:{ref}",
            "ref": ref,
            "sha": sha,
            "user": author,
            "repo": repository,
        }

    pull = {
        "url": f"{base}/pulls/{number}",
        "id": 1_934_000_000 + number,
        "node_id": "PR_kwDOAAABwc5zRk7v",
        "html_url": f"https://github.com/{repository['full_name']}/pull/{number}",
        "diff_url": f"https://github.com/{repository['full_name']}/pull/{number}.diff",
        "patch_url": f"https://github.com/{repository['full_name']}/pull/{number}.patch",
        "issue_url": f"{base}/issues/{number}",
        "number": number,
        "state": "open",
        "locked": False,
        "title": f"Amélioration: {NON_ASCII}",
        "user": author,
        "body": "## Résumé\r\n\r\n- corrige l'encodage\r\n- ajoute des tests 🚀\r\n" * 20,
        "created_at": "2026-11-28T09:00:00Z",
        "updated_at": updated_at,
        "closed_at": None,
        "merged_at": None,
        "merge_commit_sha": "e5bd3914e2e596debea16f433f57875b5b90bcd6",
        "assignee": None,
        "assignees": [_github_user("hubot", 2)],
        "requested_reviewers": [_github_user("monalisa", 3)],
        "requested_teams": [],
        "labels": [
            {
                "id": 208045946,
                "node_id": "MDU6TGFiZWwyMDgwNDU5NDY=",
                "url": f"{base}/labels/bug",
                "name": "bug",
                "color": "f29513",
                "default": True,
                "description": "Quelque chose ne marche pas",
            }
        ],
        "milestone": None,
        "draft": False,
        "commits_url": f"{base}/pulls/{number}/commits",
        "review_comments_url": f"{base}/pulls/{number}/comments",
        "review_comment_url": f"{base}/pulls/comments{{/number}}",
        "comments_url": f"{base}/issues/{number}/comments",
        "statuses_url": f"{base}/statuses/6dcb09b5b57875f334f61aebed695e2e4193db5e",
        "head": branch("feature/ünïcode", "6dcb09b5b57875f334f61aebed695e2e4193db5e"),
        "base": branch("main", "9049f1265b7d61be4a8904a9a27120d2064dab3b"),
        "_links": {
            "self": {"href": f"{base}/pulls/{number}"},
            "html": {"href": f"https://github.com/{repository['full_name']}/pull/{number}"},
            "issue": {"href": f"{base}/issues/{number}"},
            "comments": {"href": f"{base}/issues/{number}/comments"},
        },
        "author_association": "MEMBER",
        "auto_merge": None,
        "active_lock_reason": None,
        "merged": False,
        "mergeable": None,
        "rebaseable": None,
        "mergeable_state": "unknown",
        "merged_by": None,
        "comments": 0,
        "review_comments": 0,
        "maintainer_can_modify": False,
        "commits": 3,
        "additions": 120,
        "deletions": 7,
        "changed_files": 5,
    }
    return {
        "action": "opened",
        "number": number,
        "pull_request": pull,
        "repository": repository,
        "organization": {
            "login": "octo-org",
            "id": 9919,
            "url": "https://api.github.com/orgs/octo-org",
        },
        "sender": author,
    }


def github_issue_comment() -> Any:
    repository = _github_repository("octo-org/hello-wörld", 1296269)
    return {
        "action": "created",
        "issue": {
            "number": 7,
            "title": f"Problème {NON_ASCII}",
            "user": _github_user("octocat", 1),
            "labels": [],
            "state": "open",
            "comments": 1,
            "body": None,
        },
        "comment": {
            "id": 1_234_567,
            "body": f"Merci ! {NON_ASCII}\n```python\nprint('ok')\n```",
            "user": _github_user("monalisa", 3),
            "reactions": {"total_count": 2, "+1": 1, "heart": 1, "rocket": 0},
        },
        "repository": repository,
        "sender": _github_user("monalisa", 3),
    }


def stripe_event(event_type: str = "invoice.payment_failed") -> Any:
    lines = [
        {
            "id": f"il_1Q{n}",
            "object": "line_item",
            "amount": 1999 + n,
            "currency": "eur",
            "description": f"1 x Abonnement « Pro » {n}",
            "period": {"end": 1798000000, "start": 1795400000},
            "metadata": {"région": "Île-de-France"},
            "pricing": {"price_details": {"price": "price_1Pro", "product": "prod_Pro"}},
        }
        for n in range(25)
    ]
    return {
        "id": "evt_1QaZ2bLkdIwHu7ix5Nd4jT9h",
        "object": "event",
        "api_version": "2024-06-20",
        "created": 1795950000,
        "data": {
            "object": {
                "id": "in_1QaZ2aLkdIwHu7ixABCDEF",
                "object": "invoice",
                "account_country": "FR",
                "account_name": "Société Exemple SARL",
                "amount_due": 52_275,
                "amount_paid": 0,
                "attempt_count": 1,
                "billing_reason": "subscription_cycle",
                "currency": "eur",
                "customer": "cus_QmZ9",
                "customer_name": "Zoë Łukasiewicz",
                "customer_address": {"city": "Zürich", "country": "CH", "line1": "Bahnhofstr. 1"},
                "lines": {"object": "list", "data": lines, "has_more": False, "total_count": 25},
                "status": "open",
                "total": 52_275,
            },
            "previous_attributes": None,
        },
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }


def slack_event_callback() -> Any:
    return {
        "token": "XXYYZZ",
        "team_id": "T123ABC456",
        "api_app_id": "A123ABC456",
        "event": {
            "type": "message",
            "channel": "C123ABC456",
            "user": "U123ABC456",
            "text": f"Bonjour {NON_ASCII}",
            "ts": "1355517523.000005",
            "event_ts": "1355517523.000005",
            "channel_type": "channel",
            "blocks": [
                {
                    "type": "rich_text",
                    "block_id": "Xy1",
                    "elements": [
                        {
                            "type": "rich_text_section",
                            "elements": [{"type": "text", "text": f"Bonjour {NON_ASCII}"}],
                        }
                    ],
                }
            ],
        },
        "type": "event_callback",
        "authed_users": ["U0AB12ABC"],
        "authorizations": [{"team_id": "T123ABC456", "user_id": "U123ABC456", "is_bot": False}],
        "event_id": "Ev123ABC456",
        "event_time": 1355517523,
        "event_context": "EC123ABC456",
    }


def slack_block_actions() -> Any:
    return {
        "type": "block_actions",
        "team": {"id": "T9TK3CUKW", "domain": "example"},
        "user": {"id": "UA8RXUSPL", "username": "jtorrance", "name": "Jack Torrance ☃"},
        "api_app_id": "AABA1ABCD",
        "token": "9s8d9as89d8as9d8as989",
        "container": {"type": "message_attachment", "message_ts": "1548261231.000200"},
        "trigger_id": "12321423423.333649436676.d8c1bb837935619ccad0f624c448ffb3",
        "channel": {"id": "CBR2V3XEX", "name": "révision"},
        "message": {"bot_id": "BAH5CA16Z", "type": "message", "text": NON_ASCII},
        "response_url": "https://hooks.slack.com/actions/AABA1ABCD/1232321423432/D09sSasdasdAS9",
        "actions": [
            {
                "action_id": "WaXA",
                "block_id": "=qXel",
                "text": {"type": "plain_text", "text": "Approuver ✅", "emoji": True},
                "value": "click_me_123",
                "type": "button",
                "action_ts": "1548426417.840180",
            }
        ],
    }


def slack_slash_command() -> dict[str, str]:
    return {
        "token": "gIkuvaNzQIHg97ATvDxqgjtO",
        "team_id": "T0001",
        "team_domain": "example",
        "enterprise_id": "E0001",
        "enterprise_name": "Globular Construct Inc",
        "channel_id": "C2147483705",
        "channel_name": "test",
        "user_id": "U2147483697",
        "user_name": "Steve",
        "command": "/weather",
        "text": f"94070 {NON_ASCII} & a=b+c",
        "response_url": "https://hooks.slack.com/commands/1234/5678",
        "trigger_id": "13345224609.738474920.8088930838d88f008e0",
        "api_app_id": "A123456",
    }


def twilio_incoming_sms() -> dict[str, str]:
    return {
        "ToCountry": "US",
        "ToState": "CA",
        "SmsMessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        "NumMedia": "0",
        "ToCity": "SAN FRANCISCO",
        "FromZip": "94105",
        "SmsSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        "FromState": "CA",
        "SmsStatus": "received",
        "FromCity": "SAN FRANCISCO",
        "Body": f"Hé 👋 {NON_ASCII} + 1 = 2 & done",
        "FromCountry": "US",
        "To": "+15557654321",
        "MessagingServiceSid": "MGXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "ToZip": "94105",
        "NumSegments": "2",
        "MessageSid": "SM1f0e8ae6ade43cb3c0ce4525424e404f",
        "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "From": "+15551234567",
        "ApiVersion": "2010-04-01",
    }


def twilio_call_status() -> dict[str, str]:
    return {
        "Called": "+15557654321",
        "ToState": "CA",
        "CallerCountry": "FR",
        "Direction": "inbound",
        "Timestamp": "Sun, 29 Nov 2026 18:00:00 +0000",
        "CallbackSource": "call-progress-events",
        "CallerState": "",
        "ToZip": "",
        "SequenceNumber": "0",
        "CallSid": "CA42ed11f93dc08b952027ffbc406d0868",
        "To": "+15557654321",
        "CallerZip": "",
        "CallerName": "Zoë Ñandú",
        "ToCountry": "US",
        "CalledZip": "",
        "ApiVersion": "2010-04-01",
        "CalledCity": "",
        "CallStatus": "completed",
        "Duration": "1",
        "From": "+33612345678",
        "CallDuration": "4",
        "AccountSid": "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
        "CalledCountry": "US",
        "CallerCity": "",
        "Caller": "+33612345678",
        "FromCountry": "FR",
        "ToCity": "",
        "FromCity": "",
        "CalledState": "CA",
        "FromZip": "",
        "FromState": "",
    }


def twilio_event_stream() -> Any:
    return [
        {
            "specversion": "1.0",
            "type": "com.twilio.messaging.inbound-message.received",
            "source": "/2010-04-01/Accounts/ACXXX/Messages/SMXXX.json",
            "id": "EZ4f8c3cb7b1c9e3b7c0c3d3f1c0c3d3f1",
            "dataschema": "https://events-schemas.twilio.com/Messaging.InboundMessageV1/1",
            "datacontenttype": "application/json",
            "time": "2026-11-29T18:00:00.000Z",
            "data": {
                "numMedia": 0,
                "timestamp": "2026-11-29T18:00:00.000Z",
                "accountSid": "ACXXX",
                "to": "+15557654321",
                "numSegments": 1,
                "messageSid": "SMXXX",
                "eventName": "com.twilio.messaging.inbound-message.received",
                "body": f"Hola {NON_ASCII}",
                "from": "+15551234567",
            },
        }
    ]


def shopify_order() -> Any:
    customer = {
        "id": 115310627314723954,
        "email": "zoë@example.com",
        "first_name": "Zoë",
        "last_name": "Ñandú",
        "default_address": {"city": "Montréal", "province": "Québec", "country": "Canada"},
    }
    return {
        "id": 820982911946154508,
        "admin_graphql_api_id": "gid://shopify/Order/820982911946154508",
        "email": customer["email"],
        "created_at": "2026-11-29T13:00:00-05:00",
        "currency": "CAD",
        "current_total_price": "398.00",
        "financial_status": "paid",
        "name": "#9999",
        "note": f"Livraison après 17 h — {NON_ASCII}",
        "customer": customer,
        "line_items": [
            {
                "id": 866550311766439000 + n,
                "title": f"Crème brûlée set nº{n}",
                "quantity": 1 + n % 3,
                "price": "199.00",
                "sku": f"CB-{n:03}",
                "properties": [{"name": "Gravure", "value": "À toi ♥"}],
                "tax_lines": [{"title": "TVQ", "price": "19.85", "rate": 0.09975}],
            }
            for n in range(12)
        ],
        "shipping_address": customer["default_address"],
    }


def gitlab_merge_request() -> Any:
    return {
        "object_kind": "merge_request",
        "event_type": "merge_request",
        "user": {"id": 1, "name": "Administrateur Ünïcode", "username": "root"},
        "project": {
            "id": 1,
            "name": "Gitlab Test",
            "path_with_namespace": "gitlabhq/gitlab-test",
            "web_url": "http://example.com/gitlabhq/gitlab-test",
        },
        "object_attributes": {
            "id": 99,
            "iid": 1,
            "target_branch": "master",
            "source_branch": "ms-viewport",
            "title": f"MS-Viewport {NON_ASCII}",
            "state": "opened",
            "action": "open",
            "labels": [{"id": 206, "title": "API", "color": "#ffffff"}],
            "last_commit": {
                "id": "da1560886d4f094c3e6c9ef40349f7d38b5d27d7",
                "message": "fixed readme — ünïcode",
                "author": {"name": "GitLab dev", "email": "gitlabdev@dv6700.(none)"},
            },
        },
        "labels": [{"id": 206, "title": "API"}],
        "changes": {"updated_at": {"previous": None, "current": "2026-11-29 18:00:00 UTC"}},
    }


def discord_command() -> Any:
    return {
        "type": 2,
        "token": "A_UNIQUE_TOKEN",
        "member": {
            "user": {"id": "53908232506183680", "username": "Mässy", "global_name": "Mässy ✨"},
            "roles": ["539082325061836999"],
            "permissions": "2147483647",
            "nick": NON_ASCII,
        },
        "id": "786008729715212338",
        "guild_id": "290926798626357999",
        "app_permissions": "442368",
        "guild_locale": "fr",
        "locale": "fr",
        "data": {
            "options": [{"type": 3, "name": "cardname", "value": "Château 🏰"}],
            "type": 1,
            "name": "cardsearch",
            "id": "771825006014889984",
        },
        "channel_id": "645027906669510667",
        "version": 1,
    }


def discord_webhook_event() -> Any:
    """A Webhook Event (not an interaction): no id of its own, so the receiver hashes the body."""
    return {
        "version": 1,
        "application_id": "1234560123453231555",
        "type": 1,
        "event": {
            "type": "APPLICATION_AUTHORIZED",
            "timestamp": "2024-10-18T14:42:53.064834",
            "data": {
                "integration_type": 1,
                "scopes": ["applications.commands"],
                "user": {"id": "53908232506183680", "username": "Mässy", "global_name": NON_ASCII},
            },
        },
    }


def standard_event() -> Any:
    return {
        "type": "invoice.paid",
        "timestamp": "2026-11-29T18:00:00.000Z",
        "data": {
            "id": "invoice_WF7WtCLFFtd8ubcTgboSFNql",
            "status": "paid",
            "customer": {"name": "Zoë", "address": {"city": "Kraków"}},
            "note": NON_ASCII,
            "attempts": [{"at": "2026-11-29T17:59:00Z", "ok": False}, {"ok": True}],
        },
    }


def internal_event() -> Any:
    return {"kind": "order.shipped", "order": {"id": 42, "items": [{"sku": "É-1", "n": 2}]}}


def _json(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False).encode()


def samples() -> list[Sample]:
    """Every scheme with each encoding its sender documents."""
    pull = github_pull_request()
    comment = github_issue_comment()
    block_actions = slack_block_actions()
    return [
        Sample("github-json", "github", "issue_comment", JSON, _json(comment), comment),
        Sample(
            "github-form",
            "github",
            "issue_comment",
            FORM,
            urlencode({"payload": json.dumps(comment)}).encode(),
            comment,
        ),
        Sample("github-pr-json", "github", "pull_request.test", JSON, _json(pull), pull),
        Sample("stripe-json", "stripe", "", JSON, _json(stripe_event()), stripe_event()),
        Sample(
            "slack-events-json",
            "slack",
            "",
            JSON,
            _json(slack_event_callback()),
            slack_event_callback(),
        ),
        Sample(
            "slack-interactivity-form",
            "slack",
            "",
            FORM,
            urlencode({"payload": json.dumps(block_actions)}).encode(),
            block_actions,
        ),
        Sample(
            "slack-slash-command-form",
            "slack",
            "",
            FORM,
            urlencode(slack_slash_command()).encode(),
            slack_slash_command(),
        ),
        Sample(
            "twilio-sms-form",
            "twilio",
            "",
            FORM,
            urlencode(twilio_incoming_sms()).encode(),
            twilio_incoming_sms(),
        ),
        Sample(
            "twilio-call-status-form",
            "twilio",
            "",
            FORM,
            urlencode(twilio_call_status()).encode(),
            twilio_call_status(),
        ),
        Sample(
            "twilio-event-stream-json",
            "twilio",
            "",
            JSON,
            _json(twilio_event_stream()),
            twilio_event_stream(),
        ),
        Sample(
            "shopify-json",
            "shopify",
            "orders/create",
            JSON,
            _json(shopify_order()),
            shopify_order(),
        ),
        Sample(
            "gitlab-json",
            "gitlab",
            "Merge Request Hook",
            JSON,
            _json(gitlab_merge_request()),
            gitlab_merge_request(),
        ),
        Sample("discord-json", "discord", "", JSON, _json(discord_command()), discord_command()),
        Sample("standard-json", "standard", "", JSON, _json(standard_event()), standard_event()),
        Sample(
            "internal-json",
            "internal",
            "order.shipped",
            JSON,
            _json(internal_event()),
            internal_event(),
        ),
    ]
