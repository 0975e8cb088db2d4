"""Modules that hold other modules in order: `Sequential` and `ModuleList`."""

import operator
from collections import OrderedDict

from tinycnn.nn.module import Module


class _ModuleSequence(Module):
    """What Sequential and ModuleList share: integer indexing, len, iteration, append."""

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def _items_at(self, index):
        """The (name, module) pairs that `index` (an int or a slice) selects."""
        items = list(self._modules.items())
        if isinstance(index, slice):
            return items[index]
        try:
            position = operator.index(index)
        except TypeError:
            raise TypeError(
                f"{type(self).__name__}: index must be an int or a slice, "
                f"got {type(index).__name__}"
            ) from None
        if not -len(items) <= position < len(items):
            raise IndexError(
                f"{type(self).__name__}: index must be in [-{len(items)}, {len(items)}), "
                f"got {position}"
            )
        return items[position]

    def append(self, module):
        """Add `module` at the end, under the name str(len(self)). Returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        """Append each module of the iterable `modules`. Returns self."""
        for module in modules:
            self.append(module)
        return self


class Sequential(_ModuleSequence):
    """A chain of modules: the output of each is the input of the next.

    The children are named "0", "1", ... in order, or by the keys of an OrderedDict; these
    names are the state-dict prefixes (`features.0.weight`).

    Args:
        *args: the modules in order, or a single OrderedDict of name -> module.

    Shape:
        - Input: whatever the first module takes.
        - Output: whatever the last module returns (the input itself if empty).

    Example:
        >>> net = Sequential(Conv2d(3, 8, 3, padding=1), ReLU(inplace=True))
        >>> net
        Sequential(
          (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(1, 1), padding=(1, 1))
          (1): ReLU(inplace=True)
        )
        >>> net(x).shape                       # x: N x 3 x 32 x 32
        (N, 8, 32, 32)
    """

    def __init__(self, *args):
        super().__init__()
        if len(args) == 1 and isinstance(args[0], OrderedDict):
            for name, module in args[0].items():
                self.add_module(name, module)
        else:
            self.extend(args)

    def __getitem__(self, index):
        """The module at `index`; a slice gives a new Sequential keeping the names."""
        selected = self._items_at(index)
        if isinstance(index, slice):
            return Sequential(OrderedDict(selected))
        return selected[1]

    def forward(self, input):
        for module in self:
            input = module(input)
        return input


class ModuleList(_ModuleSequence):
    """A list of modules whose parameters are registered, unlike a plain Python list.

    It has no `forward`: the owning module decides how to call its entries.

    Args:
        modules: an optional iterable of modules, named "0", "1", ... in order.

    Example:
        >>> blocks = ModuleList([Linear(4, 4) for _ in range(3)])
        >>> for block in blocks:
        ...     x = block(x)
    """

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def __getitem__(self, index):
        """The module at `index`; a slice gives a new ModuleList, renumbered from 0."""
        selected = self._items_at(index)
        if isinstance(index, slice):
            return ModuleList(module for _, module in selected)
        return selected[1]
