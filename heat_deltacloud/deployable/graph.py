"""Linear-time graph helpers, iterative so that no depth is too deep.

A graph is a dict ``node -> successors``; successors missing from the
dict have no successors of their own.
"""

import heapq


def strongly_connected(graph):
    """Tarjan's strongly connected components, each in discovery order."""
    index, low, stack, on_stack, components = {}, {}, [], set(), []

    def enter(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        return node, iter(graph.get(node, ()))

    for root in graph:
        if root in index:
            continue
        work = [enter(root)]
        while work:
            node, successors = work[-1]
            for succ in successors:
                if succ not in index:
                    work.append(enter(succ))
                    break
                if succ in on_stack:
                    low[node] = min(low[node], index[succ])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    components.append(_pop_component(stack, on_stack, node))
    return components


def _pop_component(stack, on_stack, root):
    component = []
    while True:
        member = stack.pop()
        on_stack.discard(member)
        component.append(member)
        if member == root:
            return component[::-1]


def cycle_through(graph, component):
    """A closed path ``[a, b, ..., a]`` inside a strongly connected
    ``component`` (of two or more nodes) through its first node."""
    start, members = component[0], set(component)
    parent, queue = {start: None}, [start]
    for node in queue:
        for succ in graph.get(node, ()):
            if succ == start:
                path = []
                while node is not None:
                    path.append(node)
                    node = parent[node]
                return path[::-1] + [start]
            if succ in members and succ not in parent:
                parent[succ] = node
                queue.append(succ)
    raise ValueError(f"{component!r} is not a cycle")


def ordered(nodes, after):
    """``nodes`` with each after the nodes ``after[node]`` names, and
    otherwise as early as in ``nodes``; nodes on a cycle are left out.
    """
    position = {node: i for i, node in enumerate(nodes)}
    waiting = {node: len(set(after.get(node, ()))) for node in nodes}
    dependents = {node: [] for node in nodes}
    for node in nodes:
        for before in set(after.get(node, ())):
            dependents[before].append(node)
    ready = [position[n] for n in nodes if not waiting[n]]
    heapq.heapify(ready)
    result = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        result.append(node)
        for dependent in dependents[node]:
            waiting[dependent] -= 1
            if not waiting[dependent]:
                heapq.heappush(ready, position[dependent])
    return result
