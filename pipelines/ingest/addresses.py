"""Which addresses URL ingestion may connect to: public ones, and internal ones an admin allowed.

An admin's "add this URL" must not become a way to read the cloud metadata service, the Redis
next door or an intranet page the admin could not open themselves (SSRF)."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass

from pipelines.ingest.documents import ItemError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

SETTING = "FAQBOT_FETCH_ALLOWED_HOSTS"

# is_global misses these on some Python versions (3fff::/20 is newer than 3.11's table, and
# 100.64/10 is "not private" there); listing them keeps the rule the same everywhere.
NOT_PUBLIC = [
    ipaddress.ip_network(net)
    for net in (
        "100.64.0.0/10",  # shared address space (carrier-grade NAT)
        "192.0.2.0/24",  # documentation
        "198.51.100.0/24",
        "203.0.113.0/24",
        "2001:db8::/32",
        "3fff::/20",
        "fec0::/10",  # site-local, deprecated (RFC 3879) but still routed inside some networks
    )
]
NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, NAT64): packets end up there, so
    ::ffff:127.0.0.1 is loopback however public its IPv6 form may look."""
    if address.version == 4:
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """is_global plus explicit checks: is_global alone lets multicast through and its tables
    differ between Python versions."""
    inner = embedded_ipv4(address)
    if inner is not None:
        return is_public(inner)
    special = (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )
    return address.is_global and not special and not any(address in n for n in NOT_PUBLIC)


@dataclass(frozen=True)
class Allowlist:
    """FAQBOT_FETCH_ALLOWED_HOSTS: internal hosts an admin vouched for, by name or address."""

    names: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries: Iterable[str]) -> Allowlist:
        names, networks = set(), []
        for entry in entries:
            text = entry.strip().strip("[]")
            try:
                networks.append(ipaddress.ip_network(text, strict=False))
            except ValueError:
                names.add(normal_name(text))
        return cls(frozenset(names), tuple(networks))

    def allows(self, address: IPAddress) -> bool:
        return any(address in network for network in self.networks)

    def check(self, host: str, addresses: list[IPAddress]) -> None:
        """Every address must pass, not just one: the connection may go to any of them."""
        if normal_name(host) in self.names:
            return
        for address in addresses:
            if not is_public(address) and not self.allows(address):
                raise ItemError(refused_message(host, address))


def normal_name(host: str) -> str:
    """Host names compare case-insensitively; "wiki.corp." is the same name as "wiki.corp"."""
    return host.strip().lower().rstrip(".")


def refused_message(host: str, address: IPAddress) -> str:
    literal = _literal(host) == address
    where = f"{host} is" if literal else f"{host} resolves to {address}, which is"
    return f"refused: {where} not a public address (allow internal hosts with {SETTING})"


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        return None


def resolve(host: str, port: int) -> list[IPAddress]:
    """Every A and AAAA answer, once: the caller checks these and connects to them, so a DNS
    server that answers differently the second time (DNS rebinding) is never asked again."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ItemError(f"could not resolve {host} ({reason})") from exc
    addresses: list[IPAddress] = []
    for family, *_, sockaddr in infos:
        if family not in (socket.AF_INET, socket.AF_INET6):
            continue
        address = ipaddress.ip_address(sockaddr[0])
        if address not in addresses:
            addresses.append(address)
    if not addresses:
        raise ItemError(f"could not resolve {host} (no addresses)")
    return addresses
