"""Write PyTorch reference values for Tensor methods to tests/data/tensor_reference.npz.

For each case (a method name, its arguments, an input shape) and each of float32 and
float64 the file holds the input, the output (or outputs, for max/min with dim), an
upstream gradient and the gradient of the input, all computed by PyTorch.
`tests/autograd/test_tensor_methods_against_torch.py` replays each case through `tinycnn.Tensor`.

Run it with torch installed (tinycnn and its tests never need torch):

    python tools/make_tensor_reference.py

Keys, for case number i:

    <i>/method, <i>/args, <i>/kwargs   the method name; JSON list and object
    <i>/<dtype>/input                  the input
    <i>/<dtype>/output/<k>             output k (0, or 0 and 1 for values and indices)
    <i>/<dtype>/grad_output            the upstream gradient of output 0
    <i>/<dtype>/grad                   the input's gradient (only for differentiable methods)
"""

import json
import sys
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from make_functional_reference import save_npz  # noqa: E402

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "tensor_reference.npz"
SEED = 20261206
DTYPES = ("float32", "float64")


class Case(NamedTuple):
    method: str
    shape: tuple
    args: tuple = ()
    kwargs: dict = {}  # noqa: RUF012  (never mutated)
    positive: bool = False  # draw the input from [0.5, 2) (log, sqrt)
    ties: bool = False  # round the input so that equal values occur (max, min)


CASES = [
    Case("max", (3, 5)),
    Case("max", (3, 4), ties=True),
    Case("max", (3, 5), (1,)),
    Case("max", (2, 3, 4), (0,), {"keepdim": True}),
    Case("min", (4, 3), (-1,)),
    Case("min", (3, 4), ties=True),
    Case("argmax", (3, 5), (1,)),
    Case("argmax", (3, 5)),
    Case("argmin", (2, 3, 4), (1,), {"keepdim": True}),
    Case("sum", (2, 3, 4), ((0, 2),), {"keepdim": True}),
    Case("mean", (2, 3, 4), (-1,)),
    Case("var", (3, 5)),
    Case("var", (3, 5), (1,)),
    Case("var", (3, 5), (0,), {"unbiased": False, "keepdim": True}),
    Case("var", (2, 3, 4), ((0, 2),), {"correction": 0}),
    Case("std", (4, 6), (1,)),
    Case("std", (4, 6)),
    Case("exp", (3, 4)),
    Case("log", (3, 4), positive=True),
    Case("sqrt", (3, 4), positive=True),
    Case("abs", (3, 4)),
    Case("clamp", (4, 5), (-0.5, 0.7)),
    Case("clamp", (4, 5), (), {"min": 0.1}),
    Case("clamp", (4, 5), (), {"max": -0.2}),
    Case("pow", (3, 4), (3,)),
    Case("pow", (3, 4), (0.5,), positive=True),
    Case("sigmoid", (3, 4)),
    Case("tanh", (3, 4)),
    Case("softmax", (3, 4), (1,)),
    Case("softmax", (2, 3, 4), (0,)),
    Case("log_softmax", (3, 4), (-1,)),
    Case("permute", (2, 3, 4), (2, 0, 1)),
    Case("transpose", (2, 3, 4), (0, 2)),
    Case("view", (2, 3, 4), (4, -1)),
    Case("unsqueeze", (2, 3), (1,)),
    Case("squeeze", (2, 1, 3, 1)),
    Case("squeeze", (2, 1, 3, 1), (1,)),
    Case("flatten", (2, 3, 4, 5), (1, 2)),
    Case("clone", (2, 3)),
    Case("relu", (3, 4)),
]


def draw_input(rng, case):
    if case.positive:
        return rng.uniform(0.5, 2.0, size=case.shape)
    x = rng.standard_normal(case.shape)
    return np.round(x) if case.ties else x


def reference_values():
    values = {}
    for i, case in enumerate(CASES):
        rng = np.random.default_rng([SEED, i])
        x = draw_input(rng, case)
        values[f"{i}/method"] = np.array(case.method)
        values[f"{i}/args"] = np.array(json.dumps(case.args))
        values[f"{i}/kwargs"] = np.array(json.dumps(case.kwargs))
        grad_output = None
        for dtype in DTYPES:
            t = torch.from_numpy(x.astype(dtype)).requires_grad_()
            out = getattr(t, case.method)(*case.args, **case.kwargs)
            outputs = tuple(out) if isinstance(out, tuple) else (out,)
            prefix = f"{i}/{dtype}"
            values[f"{prefix}/input"] = x.astype(dtype)
            for k, o in enumerate(outputs):
                values[f"{prefix}/output/{k}"] = o.detach().numpy()
            if outputs[0].requires_grad:
                if grad_output is None:
                    grad_output = rng.standard_normal(tuple(outputs[0].shape))
                outputs[0].backward(torch.from_numpy(grad_output.astype(dtype)))
                values[f"{prefix}/grad_output"] = grad_output.astype(dtype)
                values[f"{prefix}/grad"] = t.grad.numpy()
    return values


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    values = reference_values()
    save_npz(OUTPUT, values)
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {len(values)} arrays)")


if __name__ == "__main__":
    main()
