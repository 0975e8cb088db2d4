"""Seeded weights and inputs for comparing whole models with torchvision, in NumPy only.

The full-size models hold up to 144 million parameters, far too many to commit. So
`tools/make_model_reference.py` (with torch) and `tests/models/test_torchvision_outputs.py`
(without it) both fill a model's state dict from `seeded_state_dict`, and only the inputs and
torchvision's outputs are stored. This module is that one shared definition.

Every array is drawn from its own generator, seeded with `(seed, crc32(name))`: an array
depends on its name and shape only, never on which arrays were drawn before it. A model
that builds its layers in another order, or gains or loses a key, still gets the same
values for every name it shares with torchvision, so a failure points at the layer that
differs rather than scrambling every weight after it. (crc32, not `hash()`: Python
salts string hashes per process.)

The floating arrays are float32, so the float64 and the float32 runs start from exactly
the same numbers and differ only by their arithmetic. They are drawn and scaled in float32,
which IEEE arithmetic makes bit-for-bit reproducible on every platform.
"""

import zlib

import numpy as np

# The spread of each kind of entry. Weights get He scaling, sqrt(2 / fan_in), which keeps
# the variance of activations about constant through a stack of conv + ReLU layers, and the
# BatchNorm statistics are near the identity. In eval mode a residual network still grows
# its activations block by block, since each block adds a branch about as large as its
# input and the running statistics (which do not match the data) do not undo it: resnet50's
# eval logits reach ~1e5 at 128 x 128. The tests' tolerances are relative to each array's
# largest value, so that scale costs no accuracy.
BIAS_STD = 0.1
RUNNING_MEAN_STD = 0.1
UNIFORM_AROUND_ONE = (0.5, 1.5)  # BatchNorm weight and running_var
MAX_BATCHES_TRACKED = 100
INPUT_STEP = 2.0**-8


def generator(seed, name):
    """The generator for the entry `name`: independent of every other name's."""
    return np.random.default_rng([seed, zlib.crc32(name.encode())])


def seeded_array(name, shape, seed=0):
    """The array for state-dict entry `name` of `shape`, drawn by what its name says it is.

    Args:
        name: a state-dict key; its last part says what the array is: `weight` (a conv
            or linear weight if it has 2 or more dimensions, else a BatchNorm scale),
            `bias`, `running_mean`, `running_var` or `num_batches_tracked`.
        shape: the array's shape; a conv weight is (OC, C / groups, KH, KW), so its fan-in
            is C / groups * KH * KW; a linear weight is (out, in).
        seed: selects one of many equally good weight sets.

    Returns:
        A float32 array, or a 0-d int64 array for `num_batches_tracked`.
    """
    shape = tuple(shape)
    rng = generator(seed, name)
    kind = name.rsplit(".", 1)[-1]
    if kind == "num_batches_tracked":
        if shape != ():
            raise ValueError(f"seeded_array: {name} must be a scalar, got shape {shape}")
        return np.array(rng.integers(1, MAX_BATCHES_TRACKED), dtype=np.int64)
    # Drawn in float32 directly: half the memory of float64 draws, and several times faster.
    if kind == "weight" and len(shape) >= 2:
        fan_in = int(np.prod(shape[1:]))
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(np.sqrt(2.0 / fan_in))
    if kind in ("weight", "running_var"):
        low, high = UNIFORM_AROUND_ONE
        return rng.random(shape, dtype=np.float32) * np.float32(high - low) + np.float32(low)
    if kind == "bias":
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(BIAS_STD)
    if kind == "running_mean":
        return rng.standard_normal(shape, dtype=np.float32) * np.float32(RUNNING_MEAN_STD)
    raise ValueError(f"seeded_array: no rule for a state-dict entry named {name!r}")


def seeded_state_dict(shapes, seed=0):
    """A state dict with an array for every entry of `shapes`, in the same order.

    Args:
        shapes: an ordered mapping of state-dict key -> shape, e.g. from
            `{key: array.shape for key, array in model.state_dict().items()}`. The dtype
            follows from the name: int64 for `num_batches_tracked`, float32 otherwise.
        seed: passed to `seeded_array`.

    Returns:
        A dict of key -> ndarray, ready for `model.load_state_dict`.
    """
    return {name: seeded_array(name, shape, seed) for name, shape in shapes.items()}


def seeded_input(name, shape, seed=0):
    """A float64 standard-normal input named `name`, rounded to multiples of 2**-8.

    The rounding makes every value exact in float32 too (so casting the stored input does
    not change it) and lets the stored array compress well.
    """
    rng = generator(seed, name)
    return np.round(rng.standard_normal(shape) / INPUT_STEP) * INPUT_STEP
