"""Senders with no verifying SDK on PyPI, each checked against its own published material: the
sender's own signing code where it is public (WooCommerce, Gitea), else the verification code or
rule its documentation publishes, transcribed here beside the document's address. The receiver
must accept what each sender's rule signs, and the rule must accept what the simulator signs."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from urllib.parse import parse_qs, parse_qsl, urlencode

import pytest
from catalogue_b import NOW, as_request, deliver, secret, source, verify

from handler.receive.signatures import SignatureError, SignedRequest
from webhook_sim.senders import simulate

Oracle = Callable[[bytes, Mapping[str, str], str], bool]


def hexmac(key: str, message: bytes, algorithm: str = "sha256") -> str:
    return hmac.new(key.encode(), message, algorithm).hexdigest()


def b64mac(key: str, message: bytes, algorithm: str = "sha256") -> str:
    return base64.b64encode(hmac.new(key.encode(), message, algorithm).digest()).decode()


def paystack(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://paystack.com/docs/payments/webhooks/#verify-event-origin (PHP):
    #   $_SERVER['HTTP_X_PAYSTACK_SIGNATURE'] !== hash_hmac('sha512', $input, PAYSTACK_SECRET_KEY)
    return headers["x-paystack-signature"] == hexmac(key, body, "sha512")


def lemonsqueezy(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://docs.lemonsqueezy.com/help/webhooks/signing-requests (Node):
    #   hmac = crypto.createHmac('sha256', secret); digest = hmac.update(rawBody).digest('hex')
    #   compared with request.get('X-Signature')
    return headers["x-signature"] == hexmac(key, body)


def woocommerce(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # The sender's own code: woocommerce/woocommerce plugins/woocommerce/includes/
    # class-wc-webhook.php, WC_Webhook::generate_signature:
    #   base64_encode( hash_hmac( 'sha256', $payload, $secret, true ) )
    return headers["x-wc-webhook-signature"] == b64mac(key, body)


def circleci(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://circleci.com/docs/webhooks/#validate-webhooks (Python):
    #   signature_from_header = {k: v for k, v in [pair.split('=') for pair in
    #       headers['circleci-signature'].split(',')]}['v1']
    #   valid_signature = hmac.new(bytes(secret, 'utf-8'), bytes(body, 'utf-8'),
    #       'sha256').hexdigest()
    pairs = dict(pair.split("=") for pair in headers["circleci-signature"].split(","))
    return hmac.compare_digest(pairs["v1"], hexmac(key, body))


def buildkite(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://buildkite.com/docs/apis/webhooks/pipelines#webhook-signature: the header is
    # "timestamp=<t>,signature=<s>", s = hex HMAC-SHA256 of "<t>.<body>" keyed by the token.
    parts = dict(item.split("=", 1) for item in headers["x-buildkite-signature"].split(","))
    expected = hexmac(key, f"{parts['timestamp']}.".encode() + body)
    return hmac.compare_digest(parts["signature"], expected)


def pagerduty(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # PagerDuty/developer-docs docs/webhooks/04-Signatures.md, its Python PagerDutyVerifier:
    #   signature = hmac.new(byte_key, payload.encode(), hashlib.sha256).hexdigest()
    #   signatureWithVersion = self.version + "=" + signature
    #   any(hmac.compare_digest(signatureWithVersion, s) for s in signatures.split(","))
    with_version = "v1=" + hmac.new(key.encode("ASCII"), body, hashlib.sha256).hexdigest()
    return any(
        hmac.compare_digest(with_version, s) for s in headers["x-pagerduty-signature"].split(",")
    )


def gitea(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # The sender's own code: go-gitea/gitea services/webhook/deliver.go, Deliver: the hex
    # HMAC-SHA256 of t.PayloadContent (the JSON, also when it is posted as a form's payload).
    content = body
    if headers["content-type"] == "application/x-www-form-urlencoded":
        content = parse_qs(body.decode())["payload"][0].encode()
    return headers["x-gitea-signature"] == hexmac(key, content)


def vercel(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks (Node):
    #   crypto.createHmac('sha1', WEBHOOK_SECRET).update(rawBody).digest('hex')
    #   === req.headers['x-vercel-signature']
    return headers["x-vercel-signature"] == hexmac(key, body, "sha1")


def mux(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://docs.mux.com/core/verify-webhook-signatures: split Mux-Signature on "," into t and
    # v1; payload = "<t>.<raw body>"; v1 = hex HMAC-SHA256(signing secret, payload).
    parts = dict(item.split("=", 1) for item in headers["mux-signature"].split(","))
    return hmac.compare_digest(parts["v1"], hexmac(key, f"{parts['t']}.".encode() + body))


def typeform(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://www.typeform.com/developers/webhooks/secure-your-webhooks/ (Python):
    #   digest = hmac.new(secret.encode('utf-8'), payload, hashlib.sha256).digest()
    #   e = base64.b64encode(digest).decode(); received == 'sha256=' + e
    digest = hmac.new(key.encode("utf-8"), body, hashlib.sha256).digest()
    return headers["typeform-signature"] == "sha256=" + base64.b64encode(digest).decode()


def clickup(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://developer.clickup.com/docs/webhooksignature (Node):
    #   crypto.createHmac('sha256', key).update(body).digest('hex') === X-Signature
    return headers["x-signature"] == hexmac(key, body)


def checkout(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://www.checkout.com/docs/developer-resources/event-notifications/receive-webhooks
    # (Webhook signatures): Cko-Signature is the HMAC-SHA256 of the body with the signature key,
    # hex-encoded.
    return hmac.compare_digest(headers["cko-signature"], hexmac(key, body))


def webflow(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://developers.webflow.com/data/docs/working-with-webhooks (Validating request
    # signatures, Node): createHmac('sha256', secret).update(`${timestamp}:${JSON.stringify(
    # body)}`).digest('hex') against x-webflow-signature; x-webflow-timestamp in milliseconds.
    content = f"{headers['x-webflow-timestamp']}:".encode() + body
    return hmac.compare_digest(headers["x-webflow-signature"], hexmac(key, content))


def zendesk(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://developer.zendesk.com/documentation/webhooks/verifying/ (Node):
    #   crypto.createHmac('sha256', SECRET).update(timestamp + body).digest('base64')
    content = headers["x-zendesk-webhook-signature-timestamp"].encode() + body
    return headers["x-zendesk-webhook-signature"] == b64mac(key, content)


def customerio(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://docs.customer.io/api/webhooks/#section/Securely-verifying-requests (Go):
    #   signature := hmac.New(sha256.New, key); signature.Write([]byte("v0:" + xCIOTimestamp +
    #   ":")); signature.Write(body); hex.EncodeToString(...) == X-CIO-Signature
    content = f"v0:{headers['x-cio-timestamp']}:".encode() + body
    return hmac.compare_digest(headers["x-cio-signature"], hexmac(key, content))


def segment(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://segment.com/docs/connections/destinations/catalog/webhooks/ (Authentication):
    #   crypto.createHmac('sha1', mySharedSecret).update(JSON.stringify(body)).digest('hex')
    #   === request.headers['x-signature']
    return headers["x-signature"] == hexmac(key, body, "sha1")


def heroku(body: bytes, headers: Mapping[str, str], key: str) -> bool:
    # https://devcenter.heroku.com/articles/app-webhooks#securing-webhook-requests (Node):
    #   crypto.createHmac('sha256', secret).update(rawBody).digest('base64')
    #   compared with the Heroku-Webhook-Hmac-SHA256 header
    return headers["heroku-webhook-hmac-sha256"] == b64mac(key, body)


ORACLES: dict[str, Oracle] = {
    "paystack": paystack,
    "lemonsqueezy": lemonsqueezy,
    "woocommerce": woocommerce,
    "circleci": circleci,
    "buildkite": buildkite,
    "pagerduty": pagerduty,
    "gitea": gitea,
    "vercel": vercel,
    "mux": mux,
    "typeform": typeform,
    "clickup": clickup,
    "checkout": checkout,
    "webflow": webflow,
    "zendesk": zendesk,
    "customerio": customerio,
    "segment": segment,
    "heroku": heroku,
}


@pytest.mark.parametrize("sender", ORACLES)
def test_the_senders_rule_accepts_what_the_simulator_signs(sender: str) -> None:
    delivery = deliver(sender)
    assert ORACLES[sender](delivery.body, delivery.headers, secret(sender))
    other = deliver(sender, signing_secret=secret(sender, "other"))
    assert not ORACLES[sender](other.body, other.headers, secret(sender))


def sign_as(sender: str, body: bytes, key: str, timestamp: int) -> dict[str, str]:
    """The signature header the sender's documented rule produces, computed here (not by the
    receiver's code)."""
    match sender:
        case "paystack":
            return {"x-paystack-signature": hexmac(key, body, "sha512")}
        case "lemonsqueezy" | "clickup":
            return {"x-signature": hexmac(key, body)}
        case "woocommerce":
            return {"x-wc-webhook-signature": b64mac(key, body)}
        case "circleci":
            return {"circleci-signature": "v1=" + hexmac(key, body)}
        case "buildkite":
            signature = hexmac(key, f"{timestamp}.".encode() + body)
            return {"x-buildkite-signature": f"timestamp={timestamp},signature={signature}"}
        case "pagerduty":
            return {"x-pagerduty-signature": "v1=" + hexmac(key, body)}
        case "gitea":
            return {"x-gitea-signature": hexmac(key, body)}
        case "vercel":
            return {"x-vercel-signature": hexmac(key, body, "sha1")}
        case "mux":
            signature = hexmac(key, f"{timestamp}.".encode() + body)
            return {"mux-signature": f"t={timestamp},v1={signature}"}
        case "typeform":
            return {"typeform-signature": "sha256=" + b64mac(key, body)}
        case "checkout":
            return {"cko-signature": hexmac(key, body)}
        case "webflow":
            millis = str(timestamp * 1000)
            signature = hexmac(key, f"{millis}:".encode() + body)
            return {"x-webflow-timestamp": millis, "x-webflow-signature": signature}
        case "zendesk":
            stamp = datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            return {
                "x-zendesk-webhook-signature-timestamp": stamp,
                "x-zendesk-webhook-signature": b64mac(key, stamp.encode() + body),
            }
        case "customerio":
            signature = hexmac(key, f"v0:{timestamp}:".encode() + body)
            return {"x-cio-timestamp": str(timestamp), "x-cio-signature": signature}
        case "segment":
            return {"x-signature": hexmac(key, body, "sha1")}
        case "heroku":
            return {"heroku-webhook-hmac-sha256": b64mac(key, body)}
    raise AssertionError(sender)


@pytest.mark.parametrize("sender", ORACLES)
def test_the_receiver_accepts_what_the_senders_rule_signs(sender: str) -> None:
    sample = deliver(sender)
    unsigned = {
        k: v for k, v in sample.headers.items() if "signature" not in k and "timestamp" not in k
    }
    headers = {**unsigned, **sign_as(sender, sample.body, secret(sender), int(NOW))}
    verified = verify(source(sender), SignedRequest("POST", sample.url, headers, sample.body))
    assert verified.event_type == sample.event_type


def test_pagerduty_verifies_either_signature_of_its_rotation_header() -> None:
    # 04-Signatures.md: one v1 signature per signing secret, comma-separated, during a rotation.
    sample = deliver("pagerduty")
    old, new = secret("pagerduty", "old"), secret("pagerduty", "new")
    header = f"v1={hexmac(old, sample.body)},v1={hexmac(new, sample.body)}"
    request = SignedRequest(
        "POST", sample.url, {**sample.headers, "x-pagerduty-signature": header}, sample.body
    )
    for configured in (old, new):
        verified = verify(source("pagerduty", configured), request)
        assert verified.sender_id == sample.headers["x-webhook-id"]


def test_gitea_signs_the_json_inside_a_form_post() -> None:
    document = json.loads(deliver("gitea").body)
    form = urlencode({"payload": json.dumps(document, ensure_ascii=False)}).encode()
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-gitea-event": "push",
        "x-gitea-delivery": "6f4c1a8e-0b9a-4b1e-9d68-3c8d2b1f0e7a",
        "x-gitea-signature": hexmac(
            secret("gitea"), json.dumps(document, ensure_ascii=False).encode()
        ),
    }
    request = SignedRequest("POST", "https://hooks.example.com/webhooks/gitea", headers, form)
    verified = verify(source("gitea"), request)
    assert (verified.event_type, verified.sender_id) == ("push", headers["x-gitea-delivery"])
    # The simulator posts the same form encoding, signed the same way.
    posted = simulate(
        source("gitea"), base_url="https://hooks.example.com", encoding="payload", now=NOW
    )
    assert posted.headers["content-type"] == "application/x-www-form-urlencoded"
    assert gitea(posted.body, posted.headers, secret("gitea"))


def test_woocommerce_answers_its_unsigned_creation_ping_with_200() -> None:
    # class-wc-webhook.php deliver_ping: body 'webhook_id=' . id, no signature headers, and the
    # webhook is saved only when the answer's code is exactly 200.
    receiver = source("woocommerce")
    ping = SignedRequest(
        "POST",
        "https://hooks.example.com/webhooks/woocommerce",
        {
            "content-type": "application/x-www-form-urlencoded",
            "user-agent": "WooCommerce/9.4.0 Hookshot",
        },
        b"webhook_id=12",
    )
    assert receiver.scheme.handshake is not None
    reply = receiver.scheme.handshake(ping, receiver.secrets, receiver.options, NOW)
    assert reply is not None and reply.status == 200
    # Anything else is not a ping: a delivery (signed) or a look-alike with more in its body.
    for body in (b"webhook_id=12&order=1", b"webhook_id=abc", b'{"webhook_id": 12}'):
        other = SignedRequest("POST", ping.url, ping.headers, body)
        assert receiver.scheme.handshake(other, receiver.secrets, receiver.options, NOW) is None
    signed = as_request(deliver("woocommerce"))
    assert receiver.scheme.handshake(signed, receiver.secrets, receiver.options, NOW) is None


def mandrill_signature(key: str, url: str, params: Mapping[str, str]) -> str:
    # https://mailchimp.com/developer/transactional/guides/track-respond-activity-webhooks/
    # (Authenticating webhook requests, Python generate_signature):
    #   signed_data = url; for k in sorted(params): signed_data += k; signed_data += params[k]
    #   base64.b64encode(hmac.new(key, signed_data, hashlib.sha1).digest())
    signed_data = url
    for name in sorted(params):
        signed_data += name
        signed_data += params[name]
    return b64mac(key, signed_data.encode(), "sha1")


def test_mandrill_both_ways_against_its_public_url() -> None:
    public = "https://hooks.example.com/webhooks/mandrill"
    receiver = source("mandrill", public_url=public)
    # Mandrill's rule accepts what the simulator signs (it signs the public URL, not the Lambda's).
    delivery = simulate(receiver, base_url="https://abc123.execute-api.aws")
    params = dict(parse_qsl(delivery.body.decode(), keep_blank_values=True))
    assert json.loads(params["mandrill_events"])[0]["msg"]["metadata"]["name"] == "Zoë Ångström"
    expected = mandrill_signature(secret("mandrill"), public, params)
    assert delivery.headers["x-mandrill-signature"] == expected
    # The receiver accepts what Mandrill's rule signs, at whatever URL the Lambda sees.
    headers = {
        "content-type": "application/x-www-form-urlencoded",
        "x-mandrill-signature": expected,
    }
    lambda_view = SignedRequest("POST", "https://abc123.execute-api.aws/x", headers, delivery.body)
    assert verify(receiver, lambda_view).event_type == "send"
    with pytest.raises(SignatureError):
        verify(source("mandrill", public_url=public + "-elsewhere"), lambda_view)


def test_mandrill_answers_its_head_check() -> None:
    receiver = source("mandrill")
    head = SignedRequest("HEAD", "https://hooks.example.com/webhooks/mandrill", {}, b"")
    assert receiver.scheme.handshake is not None
    reply = receiver.scheme.handshake(head, receiver.secrets, receiver.options, NOW)
    assert reply is not None and reply.status == 200
