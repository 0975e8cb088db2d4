"""Every builder's state-dict keys, their order, shapes and dtypes, and its parameter count,
against the snapshot taken from torchvision.

State-dict keys are an API: a checkpoint saved by one version must load into the next, and a
torchvision state dict must load into tinycnn. tests/data/model_state_dict_keys.json.gz was
written by tools/make_model_reference.py from torchvision's builders (its docstring describes
the format); torch itself is not needed here.

Each case builds one full-size model (up to 144 million parameters) and drops it before the
next one, so at most one model is in memory at a time.
"""

import gzip
import importlib
import json
from pathlib import Path

import pytest

from tinycnn import models

SNAPSHOT = Path(__file__).parent.parent / "data" / "model_state_dict_keys.json.gz"
# VGG's builders take torchvision's init_weights; False skips VGG's own initialization pass
# (a second draw for each of its 133-144 million weights), on which the state-dict keys do
# not depend. It halves the time of the eight VGG cases, the slowest here.
FASTER_BUILD = {"vgg": {"init_weights": False}}
SHOWN_KEYS = 5  # how many missing or unexpected keys a failure lists


def load_snapshot():
    """The snapshot's list of models; a missing file is an error, never a skip."""
    if not SNAPSHOT.exists():
        raise FileNotFoundError(
            f"{SNAPSHOT} is missing: regenerate it with "
            "`python tools/make_model_reference.py` in an environment with torchvision"
        )
    return json.loads(gzip.decompress(SNAPSHOT.read_bytes()))["models"]


MODELS = load_snapshot()


def build(entry):
    """tinycnn's model for a snapshot entry: the builder of the same name, same arguments."""
    module = importlib.import_module(f"tinycnn.models.{entry['module']}")
    kwargs = {**entry["kwargs"], **FASTER_BUILD.get(entry["module"], {})}
    return getattr(module, entry["builder"])(**kwargs)


def describe(item):
    key, shape, dtype = item
    return f"{key} {tuple(shape)} {dtype}"


def difference(actual, expected):
    """A readable account of how two [key, shape, dtype] lists differ, or '' if they agree."""
    if actual == expected:
        return ""
    index = next(
        (i for i, (a, e) in enumerate(zip(actual, expected, strict=False)) if a != e),
        min(len(actual), len(expected)),
    )
    got = describe(actual[index]) if index < len(actual) else "(nothing: the list ends)"
    want = describe(expected[index]) if index < len(expected) else "(nothing: the list ends)"
    actual_keys = {key for key, _, _ in actual}
    expected_keys = {key for key, _, _ in expected}
    missing = [key for key, _, _ in expected if key not in actual_keys]
    unexpected = [key for key, _, _ in actual if key not in expected_keys]
    lines = [
        f"first difference at entry {index}:",
        f"  tinycnn:     {got}",
        f"  torchvision: {want}",
        f"{len(actual)} entries, torchvision has {len(expected)}",
    ]
    if missing:
        lines.append(f"missing ({len(missing)}): {', '.join(missing[:SHOWN_KEYS])}")
    if unexpected:
        lines.append(f"unexpected ({len(unexpected)}): {', '.join(unexpected[:SHOWN_KEYS])}")
    return "\n".join(lines)


def test_snapshot_covers_every_torchvision_builder():
    assert {entry["builder"] for entry in MODELS} == set(models.TORCHVISION_MODELS)


@pytest.mark.parametrize("entry", MODELS, ids=[entry["name"] for entry in MODELS])
def test_state_dict_and_parameter_count_match_torchvision(entry):
    model = build(entry)
    state = [
        [key, list(array.shape), array.dtype.name] for key, array in model.state_dict().items()
    ]
    num_parameters = sum(param.data.size for param in model.parameters())
    del model  # free the weights before comparing: the next case builds another model
    report = difference(state, entry["state_dict"])
    assert not report, f"{entry['name']}: state_dict differs from torchvision's\n{report}"
    assert num_parameters == entry["num_parameters"], (
        f"{entry['name']}: {num_parameters:,} parameters, torchvision has "
        f"{entry['num_parameters']:,}"
    )
