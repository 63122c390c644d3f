"""The Heat side's Deltacloud clients: one per endpoint and credentials,
shared by that user's request contexts, never by two users, replaced with
the discovery cache."""

import types

import pytest
from oslo_config import cfg

from heat_deltacloud.heat import connection, opts

URL = "http://127.0.0.1:9/api"


def context(user, password, url=URL):
    return types.SimpleNamespace(username=user, password=password,
                                 auth_url=url, region_name=None)


@pytest.fixture
def cache(monkeypatch):
    conf = opts.registered(cfg.CONF)
    conf.set_override("discovery_cache_ttl", 300, group="deltacloud")
    conf.set_override("allow_client_url", True, group="deltacloud")
    fresh = connection.ClientCache()
    monkeypatch.setattr(connection, "DISCOVERY", fresh)
    yield fresh
    fresh.clear()
    conf.clear_override("discovery_cache_ttl", group="deltacloud")
    conf.clear_override("allow_client_url", group="deltacloud")


def test_contexts_of_one_user_share_one_client(cache):
    clients = {id(connection.client_for(context("alice", "pw-a")))
               for _ in range(20)}
    assert len(clients) == 1
    assert cache.made == 1


def test_users_never_share_a_client(cache):
    alice = connection.client_for(context("alice", "pw-a"))
    bob = connection.client_for(context("bob", "pw-b"))
    # Same name, another password (changed, or someone guessing): its own.
    guess = connection.client_for(context("alice", "guess"))
    other_cloud = connection.client_for(
        context("alice", "pw-a", "http://localhost:9/api"))
    assert len({id(c) for c in (alice, bob, guess, other_cloud)}) == 4
    assert alice.transport.session.auth == ("alice", "pw-a")
    assert bob.transport.session.auth == ("bob", "pw-b")
    assert alice.discovery is not bob.discovery
    assert cache.made == 4


def test_clients_are_replaced_and_closed_with_the_discovery_cache(
        cache, monkeypatch):
    first = connection.client_for(context("alice", "pw-a"))
    closed = []
    monkeypatch.setattr(first, "close", lambda: closed.append(first))
    now = connection.time.monotonic()
    monkeypatch.setattr(connection.time, "monotonic", lambda: now + 301)
    second = connection.client_for(context("alice", "pw-a"))
    assert second is not first
    assert second.discovery is not first.discovery
    assert closed == [first]
    assert len(cache) == 1


def test_clear_forgets_every_client(cache):
    first = connection.client_for(context("alice", "pw-a"))
    cache.clear()
    assert len(cache) == 0
    assert connection.client_for(context("alice", "pw-a")) is not first


def test_no_cache_means_a_client_per_context(cache):
    cfg.CONF.set_override("discovery_cache_ttl", 0, group="deltacloud")
    first = connection.client_for(context("alice", "pw-a"))
    assert connection.client_for(context("alice", "pw-a")) is not first
    assert len(cache) == 0


def test_max_connections_sizes_each_users_pool(cache):
    conf = opts.registered(cfg.CONF)
    conf.set_override("max_connections", 3, group="deltacloud")
    try:
        client = connection.client_for(context("alice", "pw-a"))
    finally:
        conf.clear_override("max_connections", group="deltacloud")
    assert client.transport.max_connections == 3
    # The default: a client of its own (the setting is part of the key).
    assert connection.client_for(
        context("alice", "pw-a")).transport.max_connections == 10
    assert cache.made == 2
