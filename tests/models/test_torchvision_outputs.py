"""Whole models against torchvision: the same weights and input give the same outputs.

tests/data/model_outputs.npz holds, for a few models, torchvision's outputs in float64 for
a stored input, with every weight drawn by `seeded_state_dict` (tests/models/
seeded_weights.py); tools/make_model_reference.py wrote it and documents its keys. Here
each model is rebuilt, the same weights are drawn again and loaded with `load_state_dict`,
and the input is run in eval mode and then in training mode, in float64 and in float32:

- eval mode: the logits;
- training mode (batch statistics; the models are built with dropout=0.0 where they have
  dropout, so it is the identity): the logits, googlenet's auxiliary logits, and the
  running statistics of a few BatchNorm layers after that one step.

Tolerances are relative to the largest expected magnitude of each array: 1e-10 in float64,
1e-4 in float32 (the float32 run starts from the same numbers, which are exact in float32,
so only its arithmetic differs). torch itself is not needed here.
"""

import importlib
import json

import numpy as np
import pytest
from reference_data import load_arrays
from seeded_weights import seeded_state_dict

import tinycnn

RTOL = {"float64": 1e-10, "float32": 1e-4}


def load_reference():
    return load_arrays("model_outputs.npz", "make_model_reference.py")


REF = load_reference()
CASES = [key.removesuffix("/spec") for key in REF if key.endswith("/spec")]


def build(spec):
    """tinycnn's model (torchvision's builder of the same name and module, same arguments)."""
    module = importlib.import_module(f"tinycnn.models.{spec['module']}")
    return getattr(module, spec["builder"])(**spec["kwargs"])


def outputs_by_name(output):
    """A forward result by torchvision's names: a bare tensor is 'logits'; a named tuple
    (googlenet's GoogLeNetOutputs in training mode) is split into its fields."""
    if isinstance(output, tuple):
        return {name: np.asarray(value) for name, value in output._asdict().items()}
    return {"logits": np.asarray(output)}


def relative_difference(actual, expected):
    """max |actual - expected| / max |expected|: what the tolerances bound."""
    scale = max(float(np.abs(expected).max()), np.finfo(np.float64).tiny)
    return float(np.abs(actual.astype(np.float64) - expected).max()) / scale


def check(actual, expected, dtype):
    """The relative difference (None if shapes or dtypes differ) and what is wrong, or ''."""
    if actual is None:
        return None, "missing"
    actual = np.asarray(actual)
    want = expected.dtype if expected.dtype.kind == "i" else np.dtype(dtype)
    if actual.shape != expected.shape or actual.dtype != want:
        return None, f"got {actual.dtype} {actual.shape}, expected {want} {expected.shape}"
    difference = relative_difference(actual, expected)
    if not difference <= RTOL[dtype]:  # also catches NaN
        return difference, f"max relative difference {difference:.2e} > {RTOL[dtype]:.0e}"
    return difference, ""


def run(model, weights, image, dtype):
    """Load `weights` into `model` as `dtype`, run one eval then one training forward.

    Returns:
        Every output and the state dict after both calls, keyed as the case's arrays are
        stored: 'eval/logits', 'train/logits', 'train/aux_logits2', 'train/state/<key>'.
    """
    model.to(dtype)
    model.load_state_dict(weights)
    x = tinycnn.tensor(image.astype(dtype))
    with tinycnn.no_grad():
        results = {f"eval/{n}": a for n, a in outputs_by_name(model.eval()(x)).items()}
        results.update({f"train/{n}": a for n, a in outputs_by_name(model.train()(x)).items()})
    results.update({f"train/state/{k}": a for k, a in model.state_dict().items()})
    return results


def is_output(key):
    return not key.startswith("train/state/")


@pytest.mark.parametrize("case", CASES)
def test_outputs_match_torchvision(case):
    spec = json.loads(str(REF[f"{case}/spec"]))
    shapes = {key: tuple(shape) for key, shape in spec["state_dict"]}
    weights = seeded_state_dict(shapes, spec["seed"])
    expected = {
        key.removeprefix(f"{case}/"): array
        for key, array in REF.items()
        if key.startswith(f"{case}/") and key != f"{case}/spec"
    }
    model = build(spec)
    problems = []
    for dtype in RTOL:
        actual = run(model, weights, REF[spec["input"]], dtype)
        outputs, reference = sorted(filter(is_output, actual)), sorted(filter(is_output, expected))
        if outputs != reference:
            problems.append(f"{case} {dtype}: outputs {outputs}, torchvision's {reference}")
        differences = {}
        for key, array in expected.items():
            differences[key], problem = check(actual.get(key), array, dtype)
            if problem:
                problems.append(f"{case} {dtype} {key}: {problem}")
        # The figures quoted when comparing with torchvision; `pytest -s` shows them.
        measured = {key: d for key, d in differences.items() if d is not None}
        shown = [f"{key} {d:.1e}" for key, d in measured.items() if is_output(key)]
        state = [d for key, d in measured.items() if not is_output(key)]
        if state:
            shown.append(f"train/state {max(state):.1e}")
        print(f"{case} {dtype} max relative difference:", ", ".join(shown))
    assert not problems, "\n".join(problems)
