"""Each module prints as torch prints it (reprs stored by tools/make_repr_reference.py)."""

import json
from pathlib import Path

import pytest

import tinycnn.nn as nn

ENTRIES = json.loads((Path(__file__).parent.parent / "data" / "repr_reference.json").read_text())
MODULE_ENTRIES = [e for e in ENTRIES if e[0].startswith("nn.")]


@pytest.mark.parametrize(
    "expression, torch_repr", MODULE_ENTRIES, ids=[e[0] for e in MODULE_ENTRIES]
)
def test_repr_matches_torch(expression, torch_repr):
    assert repr(eval(expression, {"nn": nn})) == torch_repr  # noqa: S307
