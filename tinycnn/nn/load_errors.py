"""The message of a failed `Module.load_state_dict`: what is wrong, and why, when it can tell.

A state dict that does not fit usually fails for one of two reasons, each of which makes
every key of a network look wrong:

- its keys carry a prefix the module's lack, because it was saved from a model wrapped
  in another one (`backbone.conv1.weight` for `conv1.weight`);
- its classifier was trained for another number of classes (an `fc.weight` of (10, 512)
  where the module's is (1000, 512)).

Listing hundreds of keys says neither. So each list (missing keys, unexpected keys, other
problems) is cut to its first `SHOWN_KEYS` entries, and the message ends with the reason
found, and what to do about it.
"""

SHOWN_KEYS = 5


def load_failure_message(missing, unexpected, problems, given_shapes, target_shapes):
    """The one-line message of load_state_dict's RuntimeError.

    Args:
        missing: the module's keys the state dict lacks (empty when strict=False).
        unexpected: the state dict's keys the module lacks (empty when strict=False).
        problems: the other problems, one string each (size mismatches, bad values).
        given_shapes: the state dict's key -> shape (of the values that are arrays).
        target_shapes: the module's key -> shape, in the module's order.

    Example:
        >>> message = load_failure_message([], [], ["size mismatch for fc.weight: ..."],
        ...     {"fc.weight": (10, 512)}, {"fc.weight": (1000, 512)})
        >>> message.endswith("fc has 10 outputs where the module's has 1000: build the "
        ...     "model with num_classes=10")
        True
    """
    parts = []
    if missing:
        parts.append("Missing key(s): " + _first_keys(missing))
    if unexpected:
        parts.append("Unexpected key(s): " + _first_keys(unexpected))
    parts.extend(problems[:SHOWN_KEYS])
    if len(problems) > SHOWN_KEYS:
        parts.append(f"and {len(problems) - SHOWN_KEYS} more problems ({len(problems)} in all)")
    parts.extend(_reasons(given_shapes, target_shapes))
    return "load_state_dict: " + "; ".join(parts)


def _first_keys(keys):
    shown = ", ".join(keys[:SHOWN_KEYS])
    if len(keys) > SHOWN_KEYS:
        shown += f" and {len(keys) - SHOWN_KEYS} more ({len(keys)} in all)"
    return shown


def _reasons(given_shapes, target_shapes):
    """The explanations that apply, as sentences."""
    reasons = []
    prefix = _extra_prefix(given_shapes, target_shapes)
    if prefix:
        reasons.append(
            f"the state dict's keys start with {prefix!r}, which the module's keys lack: "
            f"strip it, e.g. tinycnn.load(path, strip_prefix={prefix!r})"
        )
        given_shapes = {
            key.removeprefix(prefix): shape
            for key, shape in given_shapes.items()
            if key not in target_shapes
        }
    head = _head_of_another_size(given_shapes, target_shapes)
    if head:
        name, given_outputs, target_outputs = head
        reasons.append(
            f"the state dict's {name} has {given_outputs} outputs where the module's has "
            f"{target_outputs}: build the model with num_classes={given_outputs}"
        )
    return reasons


def _extra_prefix(given_shapes, target_shapes):
    """The prefix ending in '.' that every given key the module lacks has, and removing
    which matches a module key; else None. The shortest such prefix: 'a.' before 'a.b.'.

    Only the keys the module lacks are looked at: a loader may have added keys of its own
    (BatchNorm's num_batches_tracked, see models/pretrained.py) without the prefix.
    """
    keys = [key for key in given_shapes if key not in target_shapes]
    if not keys:
        return None
    first = keys[0]
    for end in range(len(first)):
        if first[end] != ".":
            continue
        prefix = first[: end + 1]
        if all(key.startswith(prefix) for key in keys) and any(
            key.removeprefix(prefix) in target_shapes for key in keys
        ):
            return prefix
    return None


def _head_of_another_size(given_shapes, target_shapes):
    """(layer name, given outputs, module's outputs) when the only shapes that differ are
    the output counts (dim 0) of the module's last layer with parameters; else None."""
    differing = [
        key
        for key, shape in target_shapes.items()
        if key in given_shapes and given_shapes[key] != shape
    ]
    if not differing:
        return None
    last_layer = next(reversed(target_shapes)).rpartition(".")[0]
    given_outputs = set()
    for key in differing:
        given, target = given_shapes[key], target_shapes[key]
        if key.rpartition(".")[0] != last_layer or len(given) != len(target) or not given:
            return None
        if given[1:] != target[1:]:
            return None
        given_outputs.add(given[0])
    if len(given_outputs) != 1:
        return None
    return last_layer, given_outputs.pop(), target_shapes[differing[0]][0]
