"""graph: iterative, linear helpers behind the validator and the planner.
"""

from heat_deltacloud.deployable.graph import (cycle_through, ordered,
                                              strongly_connected)


def test_components_of_a_chain_deeper_than_the_recursion_limit():
    chain = {i: [i + 1] for i in range(20000)}
    chain[20000] = [0]
    [component] = strongly_connected(chain)
    assert component == list(range(20001))


def test_components_keep_singletons_and_discovery_order():
    graph = {"a": ["b"], "b": ["a", "c"], "c": [], "d": ["d"]}
    assert strongly_connected(graph) == [["c"], ["a", "b"], ["d"]]


def test_cycle_through_is_a_real_path():
    graph = {"a": ["b"], "b": ["c", "d"], "c": ["a"], "d": ["b"]}
    [component] = [c for c in strongly_connected(graph) if len(c) > 1]
    path = cycle_through(graph, component)
    assert path[0] == path[-1] == component[0]
    assert all(b in graph[a] for a, b in zip(path, path[1:]))
    assert path == ["a", "b", "c", "a"]


def test_ordered_moves_nodes_after_their_dependencies_only():
    nodes = ["app", "setup", "other", "late"]
    after = {"app": ["setup", "late"], "late": ["setup"]}
    assert ordered(nodes, after) == ["setup", "other", "late", "app"]


def test_ordered_leaves_out_cycles():
    assert ordered(["a", "b", "c"], {"a": ["b"], "b": ["a"]}) == ["c"]
