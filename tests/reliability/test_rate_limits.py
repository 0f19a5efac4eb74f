"""Check-in and till endpoints are rate limited per login; the refusal is a 429 problem with a code."""

from __future__ import annotations

from servicebank.ratelimit import RateLimiter


async def test_limiter_refuses_past_the_limit_with_retry_after(settings) -> None:  # noqa: ANN001
    limiter = RateLimiter(settings)
    for _ in range(3):
        await limiter.hit("test:key", limit=3, window_seconds=60, what="scans")
    try:
        await limiter.hit("test:key", limit=3, window_seconds=60, what="scans")
    except Exception as exc:  # noqa: BLE001
        assert getattr(exc, "code", None) == "rate_limited"
        assert exc.extra["retry_after"] >= 1
    else:
        raise AssertionError("the fourth hit must be refused")
    await limiter.hit("test:other", limit=3, window_seconds=60, what="scans")  # other keys unaffected
    await limiter.close()


async def test_one_per_gap_holds_across_a_fixed_windows_edge(settings, monkeypatch) -> None:  # noqa: ANN001
    """A fixed window of a minute lets one through at 119.5 s and another at 120.2 s; a gap does not."""
    from types import SimpleNamespace

    from servicebank import ratelimit

    clock = SimpleNamespace(now=119.5)
    monkeypatch.setattr(ratelimit, "time", SimpleNamespace(time=lambda: clock.now))
    limiter = RateLimiter(settings.replace(redis_url=None))
    assert await limiter.spaced("otp:probe", 60) == 0
    clock.now = 120.2
    assert await limiter.spaced("otp:probe", 60) == 60  # 59.3 s, rounded up: never asked back too early
    assert await limiter.spaced("otp:other", 60) == 0  # other keys unaffected
    clock.now = 179.5
    assert await limiter.spaced("otp:probe", 60) == 0
    if settings.redis_url:  # the same rule in Redis, where the gap is the key's time to live
        shared = RateLimiter(settings)
        assert await shared.spaced("otp:probe-redis", 60) == 0
        assert 1 <= await shared.spaced("otp:probe-redis", 60) <= 60
        await shared.close()


async def test_check_in_endpoint_is_rate_limited_per_login(client, monkeypatch) -> None:  # noqa: ANN001
    from servicebank.checkins import routes

    guard = routes.SCAN_LIMIT
    assert guard in routes.ScanController.check_in.guards
    headers = {"Authorization": "Bearer sb_not-a-real-token"}
    allowed = 0
    for _ in range(300):
        response = await client.post("/api/check-ins", json={"token": "x"}, headers=headers)
        if response.status_code == 429:
            break
        allowed += 1
    assert response.status_code == 429
    assert response.json()["code"] == "rate_limited" and response.headers["retry-after"]
    # 120 per minute; a minute boundary during the loop can allow at most one more window's worth.
    assert 120 <= allowed <= 240


async def test_forgiven_hits_do_not_count_and_never_go_below_zero(settings) -> None:  # noqa: ANN001
    import dataclasses

    for limiter in (RateLimiter(settings), RateLimiter(dataclasses.replace(settings, redis_url=None))):
        await limiter.forgive("test:forgive", 600)  # nothing to take back: no credit either
        for _ in range(5):
            await limiter.count("test:forgive", 600)
            await limiter.forgive("test:forgive", 600)  # a right short code (stores/short_codes.py)
        hits, _ = await limiter.count("test:forgive", 600)
        assert hits == 1
        await limiter.close()
