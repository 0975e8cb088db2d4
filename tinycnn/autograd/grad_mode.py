"""Whether operations are being recorded for backward: `no_grad` and `is_grad_enabled`.

The switch lives in a `contextvars.ContextVar`, so each thread (and each asyncio task)
has its own, as in torch: a `no_grad` block in one thread does not stop another thread
from recording its graph.
"""

import contextvars
import functools
import inspect

_grad_enabled = contextvars.ContextVar("tinycnn_grad_enabled", default=True)


def is_grad_enabled():
    """True unless a `no_grad` block is active in this thread."""
    return _grad_enabled.get()


class no_grad:  # noqa: N801  (torch's name)
    """Context manager (and decorator) that stops recording the graph, as torch.no_grad.

    As a decorator it also works on generator functions: the generator's body runs
    without grad each time it resumes, while the caller's code between two `next` calls
    keeps its own mode.

    Example:
        >>> with no_grad():
        ...     y = model(x)        # y.requires_grad is False; nothing is kept for backward
    """

    def __init__(self):
        self._tokens = []  # one per active `with`, so a reused object can nest

    def __enter__(self):
        self._tokens.append(_grad_enabled.set(False))

    def __exit__(self, *exc_info):
        _grad_enabled.reset(self._tokens.pop())

    def __call__(self, function):
        if inspect.isgeneratorfunction(function):
            return _generator_without_grad(function)

        @functools.wraps(function)
        def without_grad(*args, **kwargs):
            with no_grad():
                return function(*args, **kwargs)

        return without_grad


def _generator_without_grad(function):
    """Wrap a generator function so that its body runs under no_grad at every resume."""

    @functools.wraps(function)
    def generator_without_grad(*args, **kwargs):
        generator = function(*args, **kwargs)
        sent = None
        while True:
            try:
                with no_grad():
                    item = generator.send(sent)
            except StopIteration as stop:
                return stop.value
            try:
                sent = yield item
            except GeneratorExit:
                generator.close()
                raise

    return generator_without_grad
