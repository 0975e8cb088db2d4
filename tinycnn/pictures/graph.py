"""The autograd graph of a tensor as Graphviz DOT text: what backward will walk.

    text = autograd_dot(loss)      # then: dot -Tpng graph.dot -o graph.png (Graphviz)

Each Function that made a tensor is a box named by its class with the output's shape;
each leaf that needs a gradient (an input, a Parameter) an ellipse with its shape, and its
name where `names` gives one. An arrow runs from each input to the Function that used it,
as the values flow forward; backward walks them the other way.
"""

from tinycnn.tensor import Tensor


def autograd_dot(output, names=None):
    """DOT text of the graph that made `output`.

    Args:
        output: a Tensor made by operations that recorded a graph (requires_grad=True).
        names: optional dict {name: Tensor} labelling leaves, e.g. dict(model.named_parameters()).

    Returns:
        a `digraph` in DOT's text form; no Graphviz needed to make it.

    Raises:
        TypeError: unless `output` is a Tensor.
        ValueError: if it has no graph (it is a leaf, or was made under no_grad()).

    Example:
        >>> x = tinycnn.tensor(np.ones(3), requires_grad=True)
        >>> print(autograd_dot((x * 2).sum(), names={"x": x}))
    """
    if not isinstance(output, Tensor):
        raise TypeError(f"autograd_dot: output must be a Tensor, got {type(output).__name__}")
    if output._node is None:
        raise ValueError(
            "autograd_dot: output must have been made by recorded operations (a non-leaf "
            "tensor requiring grad), got a leaf or a tensor made under no_grad()"
        )
    if output._node.released:
        raise ValueError("autograd_dot: output's graph was freed by backward(); draw it before")
    label_of = {id(tensor): name for name, tensor in (names or {}).items()}
    ids, lines, stack, seen = {}, [], [output], set()

    def node_id(tensor):
        return ids.setdefault(id(tensor), f"t{len(ids)}")

    while stack:
        tensor = stack.pop()
        if id(tensor) in seen:
            continue
        seen.add(id(tensor))
        shape = " x ".join(map(str, tensor.shape)) or "scalar"
        if tensor._node is None:  # a leaf: an input or a parameter
            name = label_of.get(id(tensor), "leaf")
            lines.append(f'  {node_id(tensor)} [shape=ellipse, label="{name}\\n{shape}"];')
            continue
        function = tensor._node.function.__name__
        lines.append(f'  {node_id(tensor)} [shape=box, label="{function}\\n{shape}"];')
        for parent in tensor._node.inputs:
            if isinstance(parent, Tensor) and parent.requires_grad:
                lines.append(f"  {node_id(parent)} -> {node_id(tensor)};")
                stack.append(parent)
    return "digraph autograd {\n  rankdir=TB;\n" + "\n".join(lines) + "\n}\n"
