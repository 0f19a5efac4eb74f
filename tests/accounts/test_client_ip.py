"""Client addresses behind a reverse proxy: believed only from proxies we were told to trust."""

from __future__ import annotations

import types

import httpx
import pytest

from servicebank.accounts import ratelimit
from servicebank.accounts.models import Role
from servicebank.clientip import client_ip
from servicebank.config import Settings, SettingsError
from tests.factories import PASSWORD, make_org, make_person


def _connection(peer: str, forwarded: str | None, trusted: tuple[str, ...]) -> types.SimpleNamespace:
    headers = {"x-forwarded-for": forwarded} if forwarded is not None else {}
    return types.SimpleNamespace(client=types.SimpleNamespace(host=peer), headers=headers,
                                 app=types.SimpleNamespace(state=types.SimpleNamespace(
                                     settings=Settings(trusted_proxies=trusted))))


@pytest.mark.parametrize(("peer", "forwarded", "trusted", "expected"), [
    ("203.0.113.9", "198.51.100.1", (), "203.0.113.9"),  # no proxy configured: the header is ignored
    ("203.0.113.9", "198.51.100.1", ("10.0.0.0/8",), "203.0.113.9"),  # the peer is not our proxy
    ("10.0.0.2", "198.51.100.1", ("10.0.0.0/8",), "198.51.100.1"),
    # A client forging the header's left part gets its real address counted, not the forged one.
    ("10.0.0.2", "1.2.3.4, 198.51.100.1", ("10.0.0.0/8",), "198.51.100.1"),
    # Two proxies of ours in a row (load balancer, then nginx).
    ("127.0.0.1", "198.51.100.1, 10.0.0.7", ("127.0.0.1", "10.0.0.0/8"), "198.51.100.1"),
    ("10.0.0.2", None, ("10.0.0.0/8",), "10.0.0.2"),
    ("10.0.0.2", "garbage", ("10.0.0.0/8",), "garbage"),  # an unparsable hop is untrusted, so it is the client
])
def test_client_address(peer: str, forwarded: str | None, trusted: tuple[str, ...], expected: str) -> None:
    assert client_ip(_connection(peer, forwarded, trusted)) == expected


def test_a_bad_proxy_setting_is_refused_at_start() -> None:
    with pytest.raises(SettingsError, match="TRUSTED_PROXIES"):
        Settings(trusted_proxies=("nginx",)).validate()


async def test_login_limit_counts_the_forwarded_address_behind_our_proxy(settings, db, session,
                                                                          monkeypatch) -> None:  # noqa: ANN001
    from tests.conftest import app_for

    monkeypatch.setattr(ratelimit, "FREE_FAILURES_PER_ADDRESS", 8)
    # A block that outlasts the test however slow the machine is (the first one is a second long).
    monkeypatch.setattr(ratelimit, "FIRST_WAIT_SECONDS", 60)

    app = app_for(settings.replace(trusted_proxies=("127.0.0.1",)), db)
    org = await make_org(session)
    person = await make_person(session, Role.VOLUNTEER, community=org.community)
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        attacker = {"X-Forwarded-For": "198.51.100.66"}
        for n in range(ratelimit.FREE_FAILURES_PER_ADDRESS):
            await client.post("/api/auth/login", json={"login": f"guess{n}", "password": "whatever1"},
                              headers=attacker)
        locked = await client.post("/api/auth/login", json={"login": person.user.username, "password": PASSWORD},
                                   headers=attacker)
        assert locked.json()["code"] == "login_rate_limited"
        # Everyone else behind the same proxy still logs in.
        neighbour = await client.post("/api/auth/login", json={"login": person.user.username, "password": PASSWORD},
                                      headers={"X-Forwarded-For": "198.51.100.67"})
        assert neighbour.status_code == 200, neighbour.text
