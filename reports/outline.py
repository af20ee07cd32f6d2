"""Turn a flat outline (entries with a depth) into a tree for display."""

from dataclasses import dataclass, field


@dataclass
class OutlineNode:
    entry: object
    children: list["OutlineNode"] = field(default_factory=list)


def outline_tree(entries) -> list[OutlineNode]:
    """Nest entries under the nearest preceding entry of smaller depth.

    A depth that jumps (1 → 3) nests under the last open entry, so a sloppy
    outline still renders instead of losing lines.
    """
    roots: list[OutlineNode] = []
    stack: list[tuple[int, OutlineNode]] = []
    for entry in entries:
        node = OutlineNode(entry)
        while stack and stack[-1][0] >= entry.depth:
            stack.pop()
        (stack[-1][1].children if stack else roots).append(node)
        stack.append((entry.depth, node))
    return roots
