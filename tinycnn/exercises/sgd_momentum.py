"""Exercise sgd_momentum: the SGD step with momentum, weight decay and Nesterov, torch's rule."""

import numpy as np
from hypothesis import strategies as st

from tinycnn.exercises import plug
from tinycnn.exercises.cases import run
from tinycnn.exercises.failure import Mistake, call, compare

NAME = "sgd_momentum"
SUMMARY = "the SGD update with momentum (and dampening, weight decay, Nesterov), in place"
FUNCTIONS = ("sgd_update",)
SOLUTION = "tinycnn.kernels.textbook"
SKELETON = '''"""Exercise sgd_momentum. Check it with: tinycnn exercises check THIS_FILE"""

import numpy as np


def sgd_update(param, grad, buffer, lr, momentum, dampening, weight_decay, nesterov, maximize,
               first_step):
    """One step of SGD on one parameter, in place, with torch's rule:

        g = -grad if maximize else grad
        g = g + weight_decay * param                        (if weight_decay != 0)
        if momentum != 0:
            buffer = g                                      on the first step
            buffer = momentum * buffer + (1 - dampening) * g    on later steps
            g = g + momentum * buffer if nesterov else buffer
        param = param - lr * g

    param and buffer change in place (param[...] = ..., buffer[...] = ...): the optimizer
    keeps them. Nothing is returned.

    Args:
        param, grad, buffer: 1-D arrays of one size and dtype (buffer: the momentum).
        lr, momentum, dampening, weight_decay: numbers. nesterov, maximize: booleans.
        first_step: True on the parameter's first step (the buffer holds nothing yet).
    """
    raise NotImplementedError
'''

OPTIONS = ("lr", "momentum", "dampening", "weight_decay", "nesterov", "maximize", "first_step")
EDGE_CASES = [
    (0.1, 0.0, 0.0, 0.0, False, False, True),  # plain SGD
    (0.1, 0.9, 0.0, 0.0, False, False, True),  # momentum, first step
    (0.1, 0.9, 0.0, 0.0, False, False, False),  # momentum, later step
    (0.1, 0.9, 0.5, 0.0, False, False, True),  # dampening: not on the first step
    (0.1, 0.9, 0.5, 0.0, False, False, False),
    (0.1, 0.9, 0.0, 1e-2, False, False, False),  # weight decay
    (0.1, 0.9, 0.0, 0.0, True, False, False),  # Nesterov
    (0.1, 0.9, 0.0, 1e-2, False, True, False),  # maximize
]
DRAWN = st.tuples(
    st.sampled_from([0.01, 0.1]),
    st.sampled_from([0.0, 0.5, 0.9]),
    st.sampled_from([0.0, 0.3]),
    st.sampled_from([0.0, 1e-3]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
).filter(lambda o: not o[4] or (o[1] > 0 and o[2] == 0))  # Nesterov needs momentum, no dampening


def expected_step(param, grad, buffer, lr, momentum, dampening, weight_decay, nesterov,
                  maximize, first_step):  # fmt: skip
    """The new param and buffer, element by element in float64, by torch's documented rule."""
    new_param, new_buffer = param.astype(np.float64), buffer.astype(np.float64)
    for i in range(param.size):
        g = -grad[i] if maximize else grad[i]
        g = g + weight_decay * param[i]
        if momentum != 0:
            b = g if first_step else momentum * buffer[i] + (1 - dampening) * g
            new_buffer[i] = b
            g = g + momentum * b if nesterov else b
        new_param[i] = param[i] - lr * g
    return new_param, new_buffer


def check(learner):
    """Check param and buffer after one step against the rule, for each option."""

    def check_case(options):
        generator = np.random.default_rng(3)
        param, grad, buffer = (generator.standard_normal(6) for _ in range(3))
        settings = dict(zip(OPTIONS, options, strict=True))
        words = ", ".join(f"{name} = {value}" for name, value in settings.items())
        expected = expected_step(param, grad, buffer, **settings)
        p, b = param.copy(), buffer.copy()
        call("sgd_update", words, learner.sgd_update, p, grad.copy(), b, **settings)

        def step(**changes):
            return expected_step(param, grad, buffer, **{**settings, **changes})

        mistakes = [
            Mistake("on the first step the buffer starts as g itself (no momentum, no "
                    "dampening): buffer = g", lambda: step(first_step=False)),
            Mistake("the buffer starts as g on the first step only; later steps use "
                    "momentum * buffer + (1 - dampening) * g", lambda: step(first_step=True)),
            Mistake("maximize flips the gradient's sign: g = -grad",
                    lambda: step(maximize=not settings["maximize"])),
            Mistake("Nesterov steps along g + momentum * buffer, plain momentum along buffer",
                    lambda: step(nesterov=not settings["nesterov"])),
        ]  # fmt: skip
        if np.array_equal(p, param) and settings["lr"] != 0:
            hint = "change param in place: param[...] = ..., or param -= ..."
            mistakes.insert(0, Mistake(hint, lambda: (param, b)))
        actual = (p, b)
        compare("sgd_update", words, "param", p, expected[0], mistakes, all_results=actual)
        if settings["momentum"] != 0:
            compare("sgd_update", words, "buffer", b, expected[1], mistakes, all_results=actual)

    return run(check_case, EDGE_CASES, DRAWN, drawn=15)


def plug_in(learner, progress):
    """Train SmallCNN with the learner's update in the optimizer (momentum 0.9)."""
    accuracy = plug.train_small_cnn({"sgd_update": learner.sgd_update}, progress=progress)
    return f"SmallCNN trained with your SGD update: {accuracy:.1%} test accuracy"
