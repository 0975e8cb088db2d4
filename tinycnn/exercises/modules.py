"""Checking a learner's Module against the library's own: same weights, same results.

Shared by the basic_block and dense_layer exercises. The library's block gets seeded
weights and BatchNorm statistics; they are loaded into the learner's block by name
(state_dict, strict), so a layer with another name is reported by name. Then both run
the same input in evaluation and in training mode, and the gradients of the input and
of every parameter are compared.
"""

import numpy as np

from tinycnn import rng
from tinycnn.exercises.failure import CheckError, call, compare
from tinycnn.tensor import Tensor, tensor


def randomize(module, seed):
    """Give every parameter and BatchNorm statistic of module random values."""
    generator = np.random.default_rng(seed)
    for name, array in module.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        values = generator.standard_normal(array.shape) * 0.5
        if name.endswith("running_var") or name.endswith(".weight") and array.ndim == 1:
            values = np.abs(values) + 0.5
        array[...] = values.astype(array.dtype)


def load_same_weights(function, words, learner_module, library_module, naming_hint,
                      shape_hint=None):  # fmt: skip
    """learner_module.load_state_dict(library_module's), with failures that name the keys
    (hint: naming_hint) or the shapes (hint: shape_hint) that differ."""
    expected = library_module.state_dict()
    actual = learner_module.state_dict()
    if sorted(actual) != sorted(expected):
        missing = [k for k in expected if k not in actual]
        extra = [k for k in actual if k not in expected]
        raise CheckError(
            function, words,
            f"its state_dict keys differ from the library's: missing {missing}, extra {extra}",
            naming_hint,
        )  # fmt: skip
    for key, array in expected.items():
        if actual[key].shape != array.shape:
            raise CheckError(
                function, words,
                f"its {key} has shape {actual[key].shape}, the library's {array.shape}",
                shape_hint,
            )  # fmt: skip
    call(function, words, learner_module.load_state_dict, expected)


def compare_runs(function, words, learner_module, library_module, x, mistakes=()):
    """Compare outputs (eval, then train) and gradients of x and of every parameter, in
    float64 (so that a different but right order of operations costs no digits)."""
    learner_module.double()
    library_module.double()
    for mode in ("eval", "train"):
        getattr(learner_module, mode)()
        getattr(library_module, mode)()
        state = {k: v.copy() for k, v in library_module.state_dict().items()}
        results = []
        for module in (library_module, learner_module):
            module.load_state_dict(state)  # training mode moves the running statistics
            rng.manual_seed(5)  # the same dropout masks for both
            image = tensor(x, requires_grad=True)
            module.zero_grad()
            out = call(function, f"{words}, {mode} mode", module, image)
            if not isinstance(out, Tensor):
                raise CheckError(function, words, f"must return a Tensor, got {out!r}")
            out.backward(np.random.default_rng(6).standard_normal(out.shape))
            grads = {name: p.grad for name, p in module.named_parameters()}
            results.append((out.data, image.grad, grads))
        (y, dx, dparams), (y_learner, dx_learner, dparams_learner) = results
        where = f"{words}, {mode} mode"
        # The mistakes are computed with the library's layers in evaluation mode.
        compare(function, where, "output", y_learner, y, mistakes if mode == "eval" else (),
                rtol=1e-6)  # fmt: skip
        compare(function, where, "gradient of the input", dx_learner, dx, rtol=1e-6)
        for name, grad in dparams.items():
            compare(function, where, f"gradient of {name}", dparams_learner[name], grad, rtol=1e-6)
