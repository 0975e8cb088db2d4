"""Check an analytic gradient against central finite differences, in float64."""

import numpy as np

from tinycnn.tensor import Tensor, no_grad


class GradcheckError(RuntimeError):
    """The analytic and numerical gradients of some input disagree."""


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Compare backward's gradients of `fn` with central differences; raise if they differ.

    The outputs are first reduced to one number L = sum(v * fn(*inputs)) with a fixed
    random v, so one backward pass gives dL/dx for every input x, and each element of
    dL/dx is compared with (L(x + eps) - L(x - eps)) / (2 eps). A random v makes a wrong
    Jacobian entry show up with probability 1, at the cost of 2 forward passes per input
    element rather than per input-output pair.

    Args:
        fn: maps the input tensors to a Tensor (or a tuple of Tensors).
        inputs: a Tensor or a sequence of Tensors; those with requires_grad=True are
            checked and must be float64 (float32 differences are too coarse).
        eps: the finite-difference step.
        atol, rtol: an element passes when |analytic - numeric| <= atol + rtol * |numeric|.

    Returns:
        True when every checked input passes.

    Raises:
        GradcheckError naming the input, its worst element, and both values.

    Example:
        >>> x = tinycnn.tensor(np.random.rand(3, 4), requires_grad=True, dtype=np.float64)
        >>> gradcheck(lambda t: (t * t).sum(), [x])
        True
    """
    for i, analytic, numeric in gradient_pairs(fn, inputs, eps):
        _compare(i, analytic, numeric, atol, rtol)
    return True


def gradient_pairs(fn, inputs, eps=1e-6):
    """(input index, analytic gradient, numerical gradient) for each input that requires grad.

    The same computation as `gradcheck`, returned instead of judged, for reporting how
    close the two are (`python -m tinycnn` prints the largest relative difference).
    """
    inputs, checked, projection, objective = _prepare(fn, inputs)
    analytic = _analytic_gradients(fn, inputs, checked, projection)
    return [(i, analytic[i], _numeric_gradient(objective, inputs[i], eps)) for i in checked]


def directional_gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3):
    """Check the gradient along one random direction: for whole networks, where the
    element-by-element `gradcheck` would need millions of forward passes.

    With L as in `gradcheck` and a random unit direction d over all checked inputs,
    backward's sum_x <dL/dx, d_x> must equal (L(x + eps d) - L(x - eps d)) / (2 eps).
    A wrong gradient anywhere changes the left side with probability 1; the check costs
    one backward and two forward passes.

    Args and Raises: as `gradcheck` (the error gives both directional derivatives).
    """
    inputs, checked, projection, objective = _prepare(fn, inputs)
    analytic_grads = _analytic_gradients(fn, inputs, checked, projection)
    generator = np.random.default_rng(1)
    directions = {i: generator.standard_normal(inputs[i].shape) for i in checked}
    norm = np.sqrt(sum(float(np.sum(d * d)) for d in directions.values()))
    directions = {i: d / norm for i, d in directions.items()}
    analytic = sum(float(np.sum(analytic_grads[i] * directions[i])) for i in checked)

    originals = {i: inputs[i].data.copy() for i in checked}
    values = []
    for sign in (1.0, -1.0):
        for i in checked:
            _write(inputs[i], ..., originals[i] + sign * eps * directions[i])
        values.append(objective())
    for i in checked:
        _write(inputs[i], ..., originals[i])
    numeric = (values[0] - values[1]) / (2 * eps)
    if abs(analytic - numeric) > atol + rtol * abs(numeric):
        raise GradcheckError(
            f"gradcheck: the directional derivative along a random direction is wrong: "
            f"analytic {analytic:.10g}, numeric {numeric:.10g}, |difference| "
            f"{abs(analytic - numeric):.3g} > atol + rtol * |numeric| = "
            f"{atol + rtol * abs(numeric):.3g}"
        )
    return True


def _prepare(fn, inputs):
    """Validate the inputs; fix the output projection v and the objective L = <v, fn(x)>."""
    inputs = [inputs] if isinstance(inputs, Tensor) else list(inputs)
    checked = [i for i, t in enumerate(inputs) if isinstance(t, Tensor) and t.requires_grad]
    if not checked:
        raise ValueError("gradcheck: inputs must include a Tensor with requires_grad=True")
    for i in checked:
        if inputs[i].dtype != np.float64:
            raise TypeError(f"gradcheck: input {i} must be float64, got {inputs[i].dtype}")
    projection = _output_projection(fn(*inputs))

    def objective():
        with no_grad():
            outputs = _as_tuple(fn(*inputs))
        pairs = zip(projection, outputs, strict=True)
        return sum(float(np.sum(v * out.data)) for v, out in pairs)

    return inputs, checked, projection, objective


def _as_tuple(outputs):
    return outputs if isinstance(outputs, (tuple, list)) else (outputs,)


def _output_projection(outputs):
    """A fixed random weight v per output; seeded so a failure reproduces."""
    generator = np.random.default_rng(0)
    return [generator.standard_normal(out.shape) for out in _as_tuple(outputs)]


def _analytic_gradients(fn, inputs, checked, projection):
    """dL/dx for each checked input via backward, leaving the inputs' .grad as it was."""
    saved_grads = {i: inputs[i].grad for i in checked}
    for i in checked:
        inputs[i].grad = None
    outputs = _as_tuple(fn(*inputs))
    total = None
    for v, out in zip(projection, outputs, strict=True):
        if out.requires_grad:
            term = (out * v).sum()
            total = term if total is None else total + term
    if total is None:
        raise ValueError("gradcheck: fn's output does not depend on any input that requires grad")
    total.backward()
    analytic = {}
    for i in checked:
        grad = inputs[i].grad
        analytic[i] = np.zeros(inputs[i].shape) if grad is None else grad
        inputs[i].grad = saved_grads[i]
    return analytic


def _numeric_gradient(objective, tensor, eps):
    """Central differences of objective() with respect to every element of the tensor
    (moved in place, and put back)."""
    x = tensor.data
    numeric = np.zeros(x.shape)
    for index in np.ndindex(x.shape):
        original = x[index]
        _write(tensor, index, original + eps)
        plus = objective()
        _write(tensor, index, original - eps)
        minus = objective()
        _write(tensor, index, original)
        numeric[index] = (plus - minus) / (2 * eps)
    return numeric


def _write(tensor, index, value):
    """tensor[index] = value in place, through the Tensor so that its version counts the
    change: what is cached from its values (a BatchNorm folded into a convolution,
    tinycnn/nn/folding.py) must see it, which a write into tensor.data would not tell."""
    with no_grad():  # a leaf that requires grad refuses in-place changes while recording
        tensor[index] = value


def _compare(i, analytic, numeric, atol, rtol):
    excess = np.abs(analytic - numeric) - (atol + rtol * np.abs(numeric))
    if excess.size == 0 or excess.max() <= 0:
        return
    worst = np.unravel_index(np.argmax(excess), excess.shape)
    a, n = analytic[worst], numeric[worst]
    raise GradcheckError(
        f"gradcheck: input {i} (shape {numeric.shape}) has a wrong gradient; worst element "
        f"{tuple(int(k) for k in worst)}: analytic {a:.10g}, numeric {n:.10g}, "
        f"|difference| {abs(a - n):.3g} > atol + rtol * |numeric| = {atol + rtol * abs(n):.3g}"
    )
