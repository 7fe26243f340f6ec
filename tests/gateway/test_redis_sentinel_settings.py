"""``REDIS_SENTINELS``: how the setting is read and what the connection asks
the sentinels for (the failover itself: tests/faults/test_sentinel_failover.py)."""

from __future__ import annotations

import pytest
from redis.sentinel import SentinelConnectionPool

from gateway.core.services import connect_redis, sentinel_addresses, uses_external_redis
from gateway.errors import ConfigError


@pytest.mark.parametrize(("value", "expected"), [
    ("10.0.0.1:26379", [("10.0.0.1", 26379)]),
    (" a:1 , b:2,", [("a", 1), ("b", 2)]),
    ("[::1]:26379", [("::1", 26379)]),
])
def test_sentinel_addresses_are_read_as_host_port_pairs(value, expected):
    assert sentinel_addresses(value) == expected


@pytest.mark.parametrize("value", ["10.0.0.1", "host:port", "host:0", "host:70000", ":26379", " , "])
def test_a_malformed_sentinel_list_is_a_configuration_error(value):
    with pytest.raises(ConfigError, match="REDIS_SENTINELS"):
        sentinel_addresses(value)


def test_with_sentinels_the_connection_asks_for_the_named_service_with_the_url_database():
    """REDIS_URL then gives only the database number and password."""
    client = connect_redis({"REDIS_SENTINELS": "127.0.0.1:1,127.0.0.1:2",
                            "REDIS_SENTINEL_SERVICE": "mpaka-primary",
                            "REDIS_URL": "redis://:s3cret@ignored/3"})
    pool = client.connection_pool
    assert isinstance(pool, SentinelConnectionPool)
    assert pool.service_name == "mpaka-primary"
    assert pool.connection_kwargs["db"] == 3
    assert pool.connection_kwargs["password"] == "s3cret"
    assert [(c.connection_pool.connection_kwargs["host"], c.connection_pool.connection_kwargs["port"])
            for c in pool.sentinel_manager.sentinels] == [("127.0.0.1", 1), ("127.0.0.1", 2)]


@pytest.mark.parametrize(("config", "expected"), [
    ({}, False),
    ({"REDIS_URL": "redis://r:6379/0"}, True),
    ({"REDIS_SENTINELS": "s:26379"}, True),
])
def test_sentinels_count_as_an_operators_redis_not_the_embedded_one(config, expected):
    assert uses_external_redis(config) is expected
