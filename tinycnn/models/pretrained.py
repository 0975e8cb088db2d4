"""Where a builder's `weights=` argument goes."""


def load_weights(model, weights):
    """Load `weights` (a file path) into `model`; None leaves the initialization alone.

    NOTE: reading weight files (.pth, .npz, .safetensors) is the subject of its own issue
    and is not written yet; until then a path is refused rather than silently ignored.
    """
    if weights is None:
        return model
    raise NotImplementedError(
        f"weights: loading pretrained weights from a file is not supported yet, got {weights!r}; "
        "build the model with weights=None and use model.load_state_dict(...)"
    )
