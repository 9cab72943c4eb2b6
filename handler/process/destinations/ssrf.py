"""Where a destination may point: public addresses only, unless the configuration allows more.

A destination URL is configuration, but it makes the worker (inside the account's network) send
requests: pointed at 169.254.169.254 or an internal service it would be a server-side request
forgery. Checked twice: statically at start-up (scheme, host, literal addresses, `localhost`), and
at send time after resolving the name, and the connection then goes to the very address that was
checked, so a DNS answer that changes between check and connect (rebinding) cannot slip through.
Names are not resolved at start-up: a transient DNS failure must not stop the worker, and the
answer could change anyway.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

# Not global, but named here so the refusal says what it is (both are cloud metadata services).
METADATA_ADDRESSES = frozenset(
    {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}
)
LOCAL_NAMES = ("localhost", ".localhost")


class UnsafeUrl(ValueError):
    """The URL may not be used; the message names the reason, never a secret."""


@dataclass(frozen=True)
class Target:
    """A URL split into what a connection needs."""

    scheme: str
    host: str
    port: int
    path: str  # path + query, as sent on the request line


def parse_target(url: str) -> Target:
    try:
        parts: SplitResult = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeUrl("not a valid URL") from None
    if parts.scheme not in {"http", "https"}:
        raise UnsafeUrl("the scheme must be http or https")
    if not parts.hostname:
        raise UnsafeUrl("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise UnsafeUrl("credentials in the URL are not allowed (use headers)")
    if parts.fragment:
        raise UnsafeUrl("a URL fragment is never sent; remove it")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    default_port = 443 if parts.scheme == "https" else 80
    return Target(parts.scheme, parts.hostname, port or default_port, path)


def refusal(address: IPAddress) -> str | None:
    """Why an address may not be a destination without `allow_private_network`, or None."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES:
        return "a cloud metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_link_local:
        return "a link-local address"
    if address.is_multicast:
        return "a multicast address"
    if address.is_private:
        return "a private-network address"
    if address.is_unspecified or address.is_reserved or not address.is_global:
        return "a reserved address"
    return None


def check_url_statically(url: str, *, allow_private_network: bool) -> Target:
    """The start-up check: everything that can be known without resolving the host name."""
    target = parse_target(url)
    if allow_private_network:
        return target
    host = target.host.lower().rstrip(".")
    if host in LOCAL_NAMES or host.endswith(LOCAL_NAMES[1]):
        raise UnsafeUrl("the host is local (set allow_private_network to allow it)")
    try:
        literal = ipaddress.ip_address(host)
    except ValueError:
        return target
    reason = refusal(literal)
    if reason:
        raise UnsafeUrl(f"the host is {reason} (set allow_private_network to allow it)")
    return target


def resolve_checked(target: Target, *, allow_private_network: bool) -> str:
    """The address to connect to: the first the name resolves to, if every answer is allowed.

    Every answer is checked, not only the first: a name that also resolves to a private address
    is refused rather than trusted on the chance that the public one comes first.
    """
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        raise UnsafeUrl(f"cannot resolve the host ({error.__class__.__name__})") from None
    addresses = [ipaddress.ip_address(str(answer[4][0]).split("%")[0]) for answer in answers]
    if not addresses:
        raise UnsafeUrl("the host resolves to no address")
    if not allow_private_network:
        for address in addresses:
            reason = refusal(address)
            if reason:
                raise UnsafeUrl(f"the host resolves to {reason} ({address})")
    return str(addresses[0])
