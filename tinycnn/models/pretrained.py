"""Where a builder's `weights=` argument goes: pretrained weights from a file.

    net = models.resnet18(weights="resnet18-f37072fd.pth")   # torchvision's own file
    net = models.densenet121(weights="densenet121-a639ec97.pth")

Any file `tinycnn.load` reads will do (.pth, .pt, .npz, .safetensors); torch is not
needed. Before the state dict reaches `load_state_dict`, the differences between the ways
people have saved the same weights are smoothed out, as torchvision and torch do:

- a training checkpoint, `{"state_dict": {...}, "epoch": ...}` or `{"model": {...}}`, is
  unwrapped;
- the `module.` prefix that `nn.DataParallel` puts on every key is removed;
- DenseNet's published files use older names, `denselayer1.norm.1.weight` for today's
  `denselayer1.norm1.weight`; they are renamed (torchvision's densenet does the same);
- BatchNorm's `num_batches_tracked` (added in torch 0.4.1, so missing from older files)
  is filled in with the model's own value, as BatchNorm's `_load_from_state_dict` does.

Anything still missing, unexpected or of the wrong shape is an error from
`load_state_dict`, with the file named.
"""

import os
import re
from collections.abc import Mapping

from tinycnn.io import weights as weight_files

CHECKPOINT_KEYS = ("state_dict", "model")  # where training scripts keep the state dict
DATA_PARALLEL_PREFIX = "module."
# "...denselayer3.norm.1.weight" -> groups "...denselayer3.norm", "1", ".weight"
_DENSENET_LEGACY_KEY = re.compile(r"^(.*denselayer\d+\.(?:norm|relu|conv))\.([12])(\..+)$")


def load_weights(model, weights):
    """Load `weights` into `model` in place; None leaves the initialization alone.

    Args:
        model: the freshly built model.
        weights: None, a path to a weights file (anything `tinycnn.load` reads), or a
            state dict already loaded (a mapping of name -> array).

    Returns:
        `model`.

    Raises:
        RuntimeError: the weights do not fit the model: missing, unexpected or mis-shaped
            keys, all listed, with the file named. The model is left untouched.
        (and what `tinycnn.load` raises for a file it cannot read)
    """
    if weights is None:
        return model
    if isinstance(weights, (str, os.PathLike)):
        source = os.fspath(weights)
        state_dict = weight_files.load(weights)
    elif isinstance(weights, Mapping):
        source = "the state dict given"
        state_dict = weights
    else:
        raise TypeError(
            "weights: must be None, a path to a weights file or a state dict, "
            f"got {type(weights).__name__}"
        )
    state_dict = _unwrap_checkpoint(state_dict, source)
    state_dict = _strip_prefix(state_dict, DATA_PARALLEL_PREFIX)
    state_dict = {_modern_densenet_key(key): value for key, value in state_dict.items()}
    _fill_num_batches_tracked(state_dict, model)
    try:
        model.load_state_dict(state_dict)
    except RuntimeError as error:
        raise RuntimeError(
            f"weights: {source} does not fit {type(model).__name__}: {error}"
        ) from None
    return model


def _unwrap_checkpoint(state_dict, source):
    """The state dict inside a training checkpoint, or `state_dict` itself."""
    if not isinstance(state_dict, Mapping):
        raise TypeError(
            f"weights: {source} must hold a state dict (a mapping of name -> array), "
            f"got {type(state_dict).__name__}"
        )
    for key in CHECKPOINT_KEYS:
        if isinstance(state_dict.get(key), Mapping):
            state_dict = state_dict[key]
            break
    for key in state_dict:
        if not isinstance(key, str):
            raise TypeError(f"weights: {source} must have str keys, got {key!r:.60}")
    return state_dict


def _strip_prefix(state_dict, prefix):
    """Remove `prefix` from every key, if every key has it (nn.DataParallel's doing)."""
    if state_dict and all(key.startswith(prefix) for key in state_dict):
        return {key.removeprefix(prefix): value for key, value in state_dict.items()}
    return state_dict


def _modern_densenet_key(key):
    """`...denselayer1.norm.1.weight` -> `...denselayer1.norm1.weight`; other keys as given."""
    return _DENSENET_LEGACY_KEY.sub(r"\1\2\3", key)


def _fill_num_batches_tracked(state_dict, model):
    """Add each BatchNorm `num_batches_tracked` the file lacks, with the model's value.

    NOTE: torch does this only for state dicts saved before the buffer existed (it knows
    from their version metadata, which .npz and .safetensors files do not carry); here it
    is done for any file. The count affects nothing in evaluation, and in training only
    BatchNorm with momentum=None.
    """
    for key, array in model.state_dict().items():
        if key.rsplit(".", 1)[-1] == "num_batches_tracked" and key not in state_dict:
            state_dict[key] = array.copy()
