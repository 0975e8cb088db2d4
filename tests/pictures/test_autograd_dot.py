"""`autograd_dot`: the DOT text of an autograd graph."""

import re

import numpy as np
import pytest

import tinycnn.nn as nn
from tinycnn.pictures import autograd_dot
from tinycnn.tensor import no_grad, tensor


def parse(text):
    """{node id: label} and the set of (from, to) edges of DOT text."""
    nodes = dict(re.findall(r'^  (t\d+) \[shape=\w+, label="([^"]*)"\];$', text, re.MULTILINE))
    edges = set(re.findall(r"^  (t\d+) -> (t\d+);$", text, re.MULTILINE))
    return nodes, edges


def test_a_small_expression_gives_its_functions_leaves_and_edges():
    x = tensor(np.ones((2, 3)), requires_grad=True)
    w = tensor(np.ones((3, 4)), requires_grad=True)
    text = autograd_dot((x @ w).sum(), names={"x": x, "w": w})
    assert text.startswith("digraph autograd {") and text.rstrip().endswith("}")
    nodes, edges = parse(text)
    labels = sorted(nodes.values())
    assert labels == ["MatMul\\n2 x 4", "Sum\\nscalar", "w\\n3 x 4", "x\\n2 x 3"]
    by_label = {label.split("\\n")[0]: node for node, label in nodes.items()}
    assert edges == {
        (by_label["x"], by_label["MatMul"]),
        (by_label["w"], by_label["MatMul"]),
        (by_label["MatMul"], by_label["Sum"]),
    }


def test_a_network_names_its_parameters_and_shares_nodes():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU())
    x = tensor(np.ones((5, 4), np.float32))
    y = net(x)
    text = autograd_dot(y + y, names=dict(net.named_parameters()))
    nodes, edges = parse(text)
    assert "0.weight\\n3 x 4" in nodes.values() and "0.bias\\n3" in nodes.values()
    assert len(nodes) == 5  # Add, ReLU, Linear, weight, bias: y appears once
    add = next(n for n, label in nodes.items() if label.startswith("Add"))
    relu = next(n for n, label in nodes.items() if label.startswith("ReLU"))
    assert (relu, add) in edges
    assert len(edges) == 4  # y -> Add drawn once; Linear -> ReLU; weight, bias -> Linear


def test_errors_name_the_problem():
    with pytest.raises(TypeError, match="autograd_dot: output must be a Tensor, got ndarray"):
        autograd_dot(np.ones(3))
    with pytest.raises(ValueError, match="got a leaf"):
        autograd_dot(tensor(np.ones(3), requires_grad=True))
    x = tensor(np.ones(3), requires_grad=True)
    with no_grad():
        with pytest.raises(ValueError, match="no_grad"):
            autograd_dot(x * 2)
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(ValueError, match="freed by backward"):
        autograd_dot(y)
