"""Each module prints as torch prints it (reprs stored by tools/make_repr_reference.py)."""

import pytest
from reference_data import load_json

import tinycnn.nn as nn

ENTRIES = load_json("repr_reference.json", "make_repr_reference.py")
MODULE_ENTRIES = [e for e in ENTRIES if e[0].startswith("nn.")]


@pytest.mark.parametrize(
    "expression, torch_repr", MODULE_ENTRIES, ids=[e[0] for e in MODULE_ENTRIES]
)
def test_repr_matches_torch(expression, torch_repr):
    assert repr(eval(expression, {"nn": nn})) == torch_repr  # noqa: S307
