"""SERVICEBANK_REDIS_URL: one Redis (redis://) or a Redis Cluster (redis+cluster://), checked at start.
A real cluster is in tests/scale/test_redis_cluster.py."""

from __future__ import annotations

import pytest
from redis import Redis

from servicebank.config import SettingsError
from servicebank.kernel import redis_clients
from tests.conftest import make_settings


@pytest.mark.parametrize(("url", "says"), [
    ("redis+cluster://127.0.0.1:7000/2", "only database 0"),
    ("redis+cluster://127.0.0.1", "names one node"),
    ("memcached://127.0.0.1:11211", "unknown scheme"),
])
def test_a_bad_redis_url_is_refused_at_start_with_the_reason(url: str, says: str) -> None:
    with pytest.raises(SettingsError, match=says):
        make_settings(redis_url=url).validate()


def test_the_cluster_scheme_chooses_a_cluster_client_and_the_plain_one_a_single_redis() -> None:
    assert make_settings(redis_url="redis+cluster://127.0.0.1:7000/0").validate().redis_cluster
    assert not make_settings(redis_url="redis://127.0.0.1:6379/0").validate().redis_cluster
    assert isinstance(redis_clients.sync_client("redis://127.0.0.1:6379/0"), Redis)
    assert redis_clients._node_url("rediss+cluster://u:p@10.0.0.1:7000") == "rediss://u:p@10.0.0.1:7000/0"
