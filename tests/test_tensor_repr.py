"""A Tensor prints as torch prints it (reprs stored by tools/make_repr_reference.py).

Two spellings differ by design: the dtype is named `tinycnn.float64` where torch says
`torch.float64`, and grad_fn names the Function (`MulBackward`) without torch's version
suffix (`MulBackward0`).
"""

import re

import numpy as np
import pytest
from reference_data import load_json

import tinycnn

ENTRIES = load_json("repr_reference.json", "make_repr_reference.py")
TENSOR_ENTRIES = [e for e in ENTRIES if not e[0].startswith("nn.")]
NAMES = {"tensor": tinycnn.tensor, "float64": tinycnn.float64}


def in_tinycnn_spelling(torch_repr):
    return re.sub(r"Backward\d+>", "Backward>", torch_repr.replace("torch.", "tinycnn."))


@pytest.mark.parametrize(
    "expression, torch_repr", TENSOR_ENTRIES, ids=[e[0] for e in TENSOR_ENTRIES]
)
def test_repr_matches_torch(expression, torch_repr):
    assert repr(eval(expression, NAMES)) == in_tinycnn_spelling(torch_repr)  # noqa: S307


def test_a_large_tensor_is_summarized_quickly():
    text = repr(tinycnn.tensor(np.arange(1_000_000, dtype=np.float32)))
    assert "..." in text and len(text) < 200
