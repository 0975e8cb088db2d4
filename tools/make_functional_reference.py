"""Write PyTorch reference values for every functional op to tests/data/functional_reference.npz.

For a fixed list of cases per op, in float32 and in float64, the file holds the inputs, the
keyword arguments, the forward output, an upstream gradient and the gradient of every
differentiable input, all computed by PyTorch. `tests/test_functional_reference.py` replays
each case through `tinycnn.nn.functional` and compares.

Run it in an environment that has torch (torch is needed by this script only, never by
tinycnn or its tests):

    /root/venvs/torch/bin/python tools/make_functional_reference.py

The output is byte-for-byte the same on every run: inputs come from NumPy generators seeded per
case, torch runs single-threaded with deterministic algorithms, and the archive entries carry a
fixed timestamp.

Keys, for case number i of op (a torch.nn.functional name, or "flatten" / "cat" for torch's):

    <op>/<i>/args                 JSON list: names of the array arguments, in positional order
    <op>/<i>/kwargs               JSON object: the other arguments, by torch's names
    <op>/<i>/<dtype>/arg/<name>   each array argument (cat's list items are tensors.0, ...)
    <op>/<i>/<dtype>/output       the forward output
    <op>/<i>/<dtype>/grad_output  the upstream gradient handed to backward
    <op>/<i>/<dtype>/grad/<name>  the gradient of each differentiable argument
    <op>/<i>/<dtype>/after/<name> batch_norm with training=True: running stats after the call

Constants (plain arrays, not differentiable; see `is_constant`): running_mean, running_var,
indices, target (except mse_loss's) and the losses' per-class weight. Every other argument is
a float tensor that requires grad. An op that returns (output, indices) (max_pool2d with
return_indices) also stores <op>/<i>/<dtype>/indices.
"""

import io
import json
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch
import torch.nn.functional as TF

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "functional_reference.npz"
SEED = 20240601
DTYPES = ("float32", "float64")
LOSSES_WITH_CLASS_WEIGHT = ("cross_entropy", "nll_loss")


def is_constant(op, name):
    """Whether argument `name` of `op` is passed as a plain array (no gradient)."""
    if name in ("running_mean", "running_var", "indices"):
        return True
    if name == "target":
        return op != "mse_loss"
    return name == "weight" and op in LOSSES_WITH_CLASS_WEIGHT


class Case(NamedTuple):
    """One call: array arguments by name -> shape, other arguments, and how to scale input."""

    args: dict
    kwargs: dict
    scale: float = 1.0
    shift: float = 0.0
    target: str = "classes"  # or "probabilities", or "some ignored" (every third ignored)


CASES = {
    "conv2d": [
        Case({"input": (2, 3, 5, 7), "weight": (4, 3, 3, 3), "bias": (4,)}, {}),
        Case(
            {"input": (1, 3, 11, 10), "weight": (5, 3, 3, 2), "bias": (5,)},
            {"stride": (2, 1), "padding": (1, 2), "dilation": (2, 1)},
        ),
        Case({"input": (1, 2, 8, 7), "weight": (3, 2, 4, 4)}, {"stride": 3, "padding": 2}),
        Case(
            {"input": (1, 4, 6, 7), "weight": (6, 2, 3, 3), "bias": (6,)},
            {"padding": 1, "groups": 2},
        ),
        Case(
            {"input": (1, 3, 9, 8), "weight": (6, 1, 3, 3), "bias": (6,)},
            {"stride": 2, "padding": 1, "groups": 3},
        ),
        Case({"input": (1, 4, 7, 6), "weight": (4, 1, 5, 3)}, {"padding": "same", "groups": 4}),
        Case(
            {"input": (1, 2, 9, 11), "weight": (2, 2, 2, 4), "bias": (2,)},
            {"padding": "same", "dilation": (2, 3)},
        ),
        Case({"input": (1, 3, 6, 5), "weight": (4, 3, 2, 3), "bias": (4,)}, {"padding": "valid"}),
        Case({"input": (2, 5, 3, 4), "weight": (3, 5, 1, 1), "bias": (3,)}, {}),
        Case({"input": (1, 4, 7, 8), "weight": (6, 4, 1, 1)}, {"stride": 2}),
        Case({"input": (2, 2, 5, 4), "weight": (3, 2, 5, 4), "bias": (3,)}, {}),
    ],
    "max_pool2d": [
        Case({"input": (2, 2, 7, 9)}, {"kernel_size": 2}),
        Case({"input": (1, 2, 9, 10)}, {"kernel_size": 3, "stride": 2, "padding": 1}),
        Case(
            {"input": (2, 2, 8, 9)},
            {"kernel_size": (3, 2), "stride": (2, 1), "padding": (1, 0), "dilation": (1, 2)},
        ),
        Case({"input": (1, 2, 8, 8)}, {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
        Case(
            {"input": (1, 2, 5, 6)},
            {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True},
        ),
        Case(
            {"input": (1, 3, 9, 10)},
            {"kernel_size": 2, "stride": 3, "dilation": 2, "ceil_mode": True},
        ),
        Case({"input": (2, 1, 8, 7)}, {"kernel_size": (2, 1), "stride": (3, 2)}),
        Case({"input": (2, 2, 7, 9)}, {"kernel_size": 2, "return_indices": True}),
        Case(
            {"input": (1, 2, 9, 8)},
            {
                "kernel_size": 3,
                "stride": 2,
                "padding": 1,
                "ceil_mode": True,
                "return_indices": True,
            },
        ),
        Case({"input": (1, 2, 6, 6)}, {"kernel_size": (2,), "stride": (), "padding": (1,)}),
    ],
    "avg_pool2d": [
        Case({"input": (2, 2, 7, 9)}, {"kernel_size": 2}),
        Case({"input": (1, 2, 9, 10)}, {"kernel_size": 3, "stride": 2, "padding": 1}),
        Case(
            {"input": (1, 2, 9, 10)},
            {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False},
        ),
        Case({"input": (1, 2, 8, 8)}, {"kernel_size": 3, "stride": 2, "ceil_mode": True}),
        Case(
            {"input": (1, 2, 7, 8)},
            {
                "kernel_size": (3, 2),
                "stride": (2, 3),
                "padding": 1,
                "ceil_mode": True,
                "count_include_pad": False,
            },
        ),
        Case(
            {"input": (1, 3, 6, 7)},
            {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
        ),
        Case({"input": (2, 2, 5, 9)}, {"kernel_size": (2, 3), "stride": (1, 2)}),
        Case({"input": (1, 2, 7, 8)}, {"kernel_size": 3, "stride": 2, "divisor_override": 5}),
        Case(
            {"input": (1, 2, 7, 8)},
            {
                "kernel_size": 3,
                "stride": 2,
                "padding": 1,
                "ceil_mode": True,
                "count_include_pad": False,
                "divisor_override": 2,
            },
        ),
        Case({"input": (1, 2, 6, 7)}, {"kernel_size": (3,), "stride": (), "padding": (1,)}),
    ],
    "adaptive_avg_pool2d": [
        Case({"input": (2, 3, 7, 5)}, {"output_size": 1}),
        Case({"input": (2, 2, 7, 5)}, {"output_size": (3, 2)}),
        Case({"input": (1, 2, 8, 8)}, {"output_size": (4, 4)}),
        Case({"input": (1, 2, 5, 4)}, {"output_size": (9, 6)}),
        Case({"input": (2, 2, 6, 7)}, {"output_size": (None, 3)}),
        Case({"input": (1, 3, 7, 7)}, {"output_size": 5}),
        Case({"input": (2, 1, 3, 10)}, {"output_size": (1, 4)}),
    ],
    "local_response_norm": [
        Case({"input": (1, 7, 3, 4)}, {"size": 5, "alpha": 0.1, "beta": 0.75, "k": 2.0}),
        Case({"input": (2, 6, 3, 3)}, {"size": 4, "alpha": 0.5, "beta": 0.75, "k": 1.0}),
        Case({"input": (1, 4, 4, 3)}, {"size": 9, "alpha": 1.0, "beta": 0.5, "k": 1.5}),
        Case({"input": (2, 3, 2, 5)}, {"size": 1, "alpha": 0.3, "beta": 1.0, "k": 1.0}),
        Case({"input": (1, 5, 3, 3)}, {"size": 2, "alpha": 0.01}),
    ],
    "batch_norm": [
        Case(
            {
                "input": (3, 3, 4, 5),
                "running_mean": (3,),
                "running_var": (3,),
                "weight": (3,),
                "bias": (3,),
            },
            {},
        ),
        Case(
            {"input": (2, 4, 3, 5), "running_mean": (4,), "running_var": (4,)},
            {"training": False, "eps": 1e-3},
        ),
        Case(
            {
                "input": (3, 3, 4, 5),
                "running_mean": (3,),
                "running_var": (3,),
                "weight": (3,),
                "bias": (3,),
            },
            {"training": True},
        ),
        Case(
            {"input": (3, 4, 3, 5), "running_mean": (4,), "running_var": (4,)},
            {"training": True, "momentum": 0.3, "eps": 1e-3},
        ),
        Case(
            {
                "input": (1, 2, 4, 3),
                "running_mean": (2,),
                "running_var": (2,),
                "weight": (2,),
                "bias": (2,),
            },
            {"training": True, "momentum": 0.5, "eps": 1e-2},
        ),
        Case(  # weight without bias (BatchNorm2d(bias=False))
            {"input": (3, 2, 3, 3), "running_mean": (2,), "running_var": (2,), "weight": (2,)},
            {"training": True},
        ),
        Case(
            {"input": (4, 3), "running_mean": (3,), "running_var": (3,), "weight": (3,)},
            {"training": False},
        ),
    ],
    "relu": [
        Case({"input": (2, 3, 3, 4)}, {}),
        Case({"input": (3, 11)}, {}),
    ],
    "linear": [
        Case({"input": (5, 7), "weight": (4, 7), "bias": (4,)}, {}),
        Case({"input": (2, 3, 6), "weight": (5, 6)}, {}),
        Case({"input": (1, 9), "weight": (1, 9), "bias": (1,)}, {}),
    ],
    "flatten": [
        Case({"input": (2, 3, 2, 3)}, {"start_dim": 1}),
        Case({"input": (3, 2, 5)}, {"start_dim": 1}),
        Case({"input": (2, 3, 2, 3)}, {"start_dim": 2}),
    ],
    "log_softmax": [
        Case({"input": (4, 7)}, {"dim": 1}),
        Case({"input": (2, 3, 5)}, {"dim": -1}),
        Case({"input": (2, 4, 3, 3)}, {"dim": 1}),
        Case({"input": (3, 6)}, {"dim": 1}, scale=1e4),
        Case({"input": (3, 6)}, {"dim": 1}, shift=1e4),
        Case({"input": (5,)}, {"dim": 0}),
    ],
    "softmax": [
        Case({"input": (4, 7)}, {"dim": 1}),
        Case({"input": (2, 3, 5)}, {"dim": 0}),
        Case({"input": (3, 6)}, {"dim": -1}, scale=1e4),
    ],
    "sigmoid": [Case({"input": (3, 11)}, {}), Case({"input": (2, 5)}, {}, scale=1e4)],
    "tanh": [Case({"input": (3, 11)}, {}), Case({"input": (2, 5)}, {}, scale=30.0)],
    "leaky_relu": [
        Case({"input": (3, 11)}, {}),
        Case({"input": (2, 3, 4)}, {"negative_slope": 0.2}),
    ],
    "mse_loss": [
        Case({"input": (4, 5), "target": (4, 5)}, {}),
        Case({"input": (2, 3, 4), "target": (2, 3, 4)}, {"reduction": "sum"}),
        Case({"input": (4, 5), "target": (4, 5)}, {"reduction": "none"}),
    ],
    "nll_loss": [
        Case({"input": (5, 7), "target": (5,)}, {}),
        Case({"input": (5, 7), "target": (5,), "weight": (7,)}, {}),
        Case(
            {"input": (6, 4), "target": (6,), "weight": (4,)},
            {"reduction": "sum"},
            target="some ignored",
        ),
        Case(
            {"input": (2, 4, 3, 2), "target": (2, 3, 2)}, {"reduction": "none", "ignore_index": 1}
        ),
        Case({"input": (4,), "target": ()}, {}),
    ],
    "max_unpool2d": [
        Case({"input": (2, 2, 3, 4), "indices": (2, 2, 3, 4)}, {"kernel_size": 2}),
        Case(
            {"input": (1, 3, 3, 3), "indices": (1, 3, 3, 3)},
            {"kernel_size": 3, "stride": 2, "padding": 1},
        ),
        Case(
            {"input": (1, 2, 2, 3), "indices": (1, 2, 2, 3)},
            {"kernel_size": 2, "output_size": (5, 7)},
        ),
    ],
    "cross_entropy": [
        Case({"input": (5, 7), "target": (5,)}, {}),
        Case({"input": (5, 7), "target": (5,)}, {"label_smoothing": 0.1}),
        Case({"input": (4, 6), "target": (4,)}, {}, scale=1e4),
        Case({"input": (4, 6), "target": (4,)}, {"label_smoothing": 0.2}, scale=1e4),
        Case({"input": (4, 6), "target": (4,)}, {"label_smoothing": 0.05}, shift=-1e4),
        Case({"input": (1, 3), "target": (1,)}, {}),
        Case({"input": (5, 7), "target": (5,), "weight": (7,)}, {}),
        Case({"input": (5, 7), "target": (5,), "weight": (7,)}, {"label_smoothing": 0.2}),
        Case({"input": (6, 4), "target": (6,)}, {}, target="some ignored"),
        Case(
            {"input": (6, 4), "target": (6,), "weight": (4,)},
            {"label_smoothing": 0.1},
            target="some ignored",
        ),
        Case({"input": (6, 4), "target": (6,)}, {"reduction": "none"}, target="some ignored"),
        Case({"input": (5, 7), "target": (5,)}, {"ignore_index": 3, "reduction": "sum"}),
        Case({"input": (4, 5), "target": (4, 5)}, {}, target="probabilities"),
        Case(
            {"input": (4, 5), "target": (4, 5), "weight": (5,)},
            {"label_smoothing": 0.3},
            target="probabilities",
        ),
        Case({"input": (2, 4, 3, 2), "target": (2, 3, 2)}, {}),
        Case({"input": (2, 4, 3, 2), "target": (2, 3, 2)}, {"reduction": "none"}),
        Case(
            {"input": (2, 3, 5), "target": (2, 3, 5)}, {"reduction": "sum"}, target="probabilities"
        ),
        Case({"input": (6,), "target": ()}, {"label_smoothing": 0.1}),
    ],
    "cat": [
        Case({"tensors.0": (2, 3), "tensors.1": (4, 3)}, {"dim": 0}),
        Case(
            {"tensors.0": (2, 1, 3, 3), "tensors.1": (2, 4, 3, 3), "tensors.2": (2, 2, 3, 3)},
            {"dim": 1},
        ),
        Case({"tensors.0": (2, 3, 2), "tensors.1": (2, 3, 5)}, {"dim": -1}),
    ],
}

TORCH_OPS = {
    "conv2d": TF.conv2d,
    "max_pool2d": TF.max_pool2d,
    "avg_pool2d": TF.avg_pool2d,
    "adaptive_avg_pool2d": TF.adaptive_avg_pool2d,
    "local_response_norm": TF.local_response_norm,
    "batch_norm": TF.batch_norm,
    "relu": TF.relu,
    "linear": TF.linear,
    "flatten": torch.flatten,
    "log_softmax": TF.log_softmax,
    "cross_entropy": TF.cross_entropy,
    "softmax": TF.softmax,
    "sigmoid": torch.sigmoid,
    "tanh": torch.tanh,
    "leaky_relu": TF.leaky_relu,
    "mse_loss": TF.mse_loss,
    "nll_loss": TF.nll_loss,
    "max_unpool2d": TF.max_unpool2d,
}


def draw_arguments(rng, op, case):
    """Float64 arrays (int64 for class indices) for the case's array arguments."""
    arrays = {}
    for name, shape in case.args.items():
        if name == "target" and op != "mse_loss":
            arrays[name] = draw_target(rng, case)
        elif name == "indices":
            arrays[name] = draw_unpool_indices(rng, case)
        elif name == "weight" and op in LOSSES_WITH_CLASS_WEIGHT:
            arrays[name] = rng.uniform(0.5, 2.0, size=shape)
        elif name == "running_var":
            arrays[name] = rng.uniform(0.5, 2.0, size=shape)
        else:
            arrays[name] = rng.standard_normal(shape)
    if "input" in arrays:
        arrays["input"] = arrays["input"] * case.scale + case.shift
    return arrays


def draw_target(rng, case):
    """Class indices (some set to ignore_index if asked), or rows of probabilities."""
    input_shape = case.args["input"]
    class_axis = 1 if len(input_shape) > 1 else 0
    if case.target == "probabilities":
        logits = rng.standard_normal(input_shape)
        e = np.exp(logits - logits.max(axis=class_axis, keepdims=True))
        return e / e.sum(axis=class_axis, keepdims=True)
    target = rng.integers(0, input_shape[class_axis], size=case.args["target"])
    if case.target == "some ignored":
        target.reshape(-1)[::3] = case.kwargs.get("ignore_index", -100)
    return target


def draw_unpool_indices(rng, case):
    """For each (n, c) plane, distinct flat positions in the unpooled (H, W) plane."""
    N, C, OH, OW = case.args["input"]
    if "output_size" in case.kwargs:
        H, W = case.kwargs["output_size"]
    else:
        K, P = case.kwargs["kernel_size"], case.kwargs.get("padding", 0)
        S = case.kwargs.get("stride", K)
        H, W = (OH - 1) * S - 2 * P + K, (OW - 1) * S - 2 * P + K
    planes = [rng.permutation(H * W)[: OH * OW] for _ in range(N * C)]
    return np.array(planes, dtype=np.int64).reshape(N, C, OH, OW)


def call_torch(op, arrays, kwargs):
    """Return the torch op's output and the argument tensors, made from copies of `arrays`."""
    tensors = {name: torch.from_numpy(array.copy()) for name, array in arrays.items()}
    for name, tensor in tensors.items():
        tensor.requires_grad_(not is_constant(op, name))
    args = list(tensors.values())
    output = torch.cat(args, **kwargs) if op == "cat" else TORCH_OPS[op](*args, **kwargs)
    return output, tensors


def first_output(output):
    """The differentiable output of an op that may also return indices."""
    return output[0] if isinstance(output, tuple) else output


def run_torch(op, arrays, kwargs, grad_output):
    """Call the torch op, backpropagate `grad_output`; return the arrays to store."""
    output, tensors = call_torch(op, arrays, kwargs)
    results = {}
    if isinstance(output, tuple):
        output, indices = output
        results["indices"] = indices.numpy()
    output.backward(torch.from_numpy(grad_output))
    results.update(output=output.detach().numpy(), grad_output=grad_output)
    for name, tensor in tensors.items():
        if tensor.requires_grad:
            results[f"grad/{name}"] = tensor.grad.numpy()
    if kwargs.get("training"):
        for name in ("running_mean", "running_var"):
            results[f"after/{name}"] = tensors[name].numpy()
    return results


def reference_values():
    """Every key of the archive -> its array, in a fixed order."""
    values = {}
    for op, cases in CASES.items():
        for index, case in enumerate(cases):
            rng = np.random.default_rng([SEED, zlib.crc32(op.encode()), index])
            arrays = draw_arguments(rng, op, case)
            values[f"{op}/{index}/args"] = np.array(json.dumps(list(case.args)))
            values[f"{op}/{index}/kwargs"] = np.array(json.dumps(case.kwargs))
            output = first_output(call_torch(op, arrays, case.kwargs)[0])
            grad_output = rng.standard_normal(tuple(output.shape))
            for dtype in DTYPES:
                typed = {
                    name: array.astype(dtype) if array.dtype.kind == "f" else array
                    for name, array in arrays.items()
                }
                results = run_torch(op, typed, case.kwargs, grad_output.astype(dtype))
                prefix = f"{op}/{index}/{dtype}"
                for name, array in typed.items():
                    values[f"{prefix}/arg/{name}"] = array
                for name, array in results.items():
                    values[f"{prefix}/{name}"] = array
    return values


def save_npz(path, values):
    """Like np.savez_compressed, but with fixed timestamps so the bytes never change."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        for key, array in values.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.array(array, order="C"), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


def main():
    torch.set_num_threads(1)
    # warn_only for max_unpool2d, which torch calls nondeterministic because repeated indices
    # race; the drawn indices are distinct within each plane, so its result is determined.
    torch.use_deterministic_algorithms(True, warn_only=True)
    warnings.filterwarnings("ignore", message="max_unpooling2d_forward_out does not have")
    # conv2d/6 uses padding="same" with an even kernel on purpose; torch warns that it pads a copy.
    warnings.filterwarnings("ignore", message="Using padding='same' with even kernel")
    values = reference_values()
    save_npz(OUTPUT, values)
    cases = {op: len(cases) for op, cases in CASES.items()}
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {len(values)} arrays): {cases}")


if __name__ == "__main__":
    main()
