"""Where the server sends push messages: every address of the endpoint's host must be
public unless private endpoints are allowed (no server-side request forgery)."""

from __future__ import annotations

import ipaddress

import pytest
import pytest_twisted

from oxdav.push.endpoints import EndpointRefused, check, is_public


def resolving(*addresses: str):
    async def resolve(host: str, port: int) -> list[str]:
        if not addresses:
            raise OSError("no such host")
        return list(addresses)
    return resolve


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.1", "172.16.5.5", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "224.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "2002:0a00:0001::1", "64:ff9b::a00:1",
])
def test_private_loopback_and_link_local_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:2800:220:1::1",
                                     "::ffff:93.184.216.34"])
def test_public_unicast_addresses_are(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


@pytest_twisted.ensureDeferred
async def test_every_resolved_address_is_checked() -> None:
    with pytest.raises(EndpointRefused):
        await check("https://push.example/x", resolving("93.184.216.34", "10.0.0.1"),
                    allow_private=False)
    target = await check("https://push.example:8443/x", resolving("93.184.216.34"),
                         allow_private=False)
    assert (target.address, target.port, target.origin) == (
        "93.184.216.34", 8443, "https://push.example:8443")


@pytest_twisted.ensureDeferred
async def test_unresolvable_hosts_plain_http_and_literals_are_refused() -> None:
    with pytest.raises(EndpointRefused, match="resolve"):
        await check("https://nowhere.example/x", resolving(), allow_private=False)
    with pytest.raises(EndpointRefused, match="https"):
        await check("http://push.example/x", resolving("93.184.216.34"),
                    allow_private=False)
    with pytest.raises(EndpointRefused):
        await check("https://[::1]:443/x", resolving(), allow_private=False)


@pytest_twisted.ensureDeferred
async def test_the_admin_may_allow_private_endpoints() -> None:
    target = await check("http://127.0.0.1:8080/push", resolving(), allow_private=True)
    assert (target.address, target.origin) == ("127.0.0.1", "http://127.0.0.1:8080")
