"""Write torch's reprs of modules and tensors to tests/data/repr_reference.json.

Each entry is a Python expression and the repr torch gives for it. The expressions use
only names that tinycnn spells the same way (`nn.<Module>(...)`, `tensor(...)`, `float64`),
so the tests (tests/nn/test_module_reprs.py, tests/test_tensor.py) evaluate each with
tinycnn's names and compare the reprs (in tinycnn's spelling of dtypes, see the test).

    python tools/make_repr_reference.py
"""

import json
from pathlib import Path

import torch
from torch import nn

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "repr_reference.json"

MODULES = [
    "nn.CrossEntropyLoss()",
    "nn.CrossEntropyLoss(ignore_index=1, label_smoothing=0.1)",
    "nn.NLLLoss()",
    "nn.MSELoss()",
    "nn.MSELoss(reduction='sum')",
    "nn.Sigmoid()",
    "nn.Tanh()",
    "nn.Softmax(dim=1)",
    "nn.Softmax()",
    "nn.LogSoftmax(dim=1)",
    "nn.LeakyReLU()",
    "nn.LeakyReLU(0.2, inplace=True)",
    "nn.MaxUnpool2d(2)",
    "nn.MaxUnpool2d((2, 3), stride=1, padding=1)",
    "nn.Dropout2d()",
    "nn.Dropout2d(0.25)",
    "nn.MaxPool2d(2, return_indices=True)",
    "nn.AvgPool2d(2, divisor_override=3)",
    "nn.BatchNorm2d(3)",
    "nn.BatchNorm2d(3, bias=False)",
    "nn.BatchNorm2d(3, affine=False)",
    "nn.BatchNorm2d(3, track_running_stats=False)",
]

TENSORS = [
    "tensor([0.5, 1.25])",
    "tensor([1.0, 2.0])",
    "tensor(3.0)",
    "tensor([1e-05, 1000.0])",
    "tensor([1e9, 1.0])",
    "tensor([-1.5, 100.25])",
    "tensor([-0.0001234, 5.0])",
    "tensor([0.0, 0.0])",
    "tensor([1.0, float('nan'), float('inf')])",
    "tensor([[1, 2], [3, 4]])",
    "tensor([True, False])",
    "tensor([1.0, 2.0], dtype=float64)",
    "tensor([[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]) / 7",
    "tensor([1.5], requires_grad=True)",
    "tensor([1.5], requires_grad=True) * 2",
    "tensor([[1.0, 2.0]])[:0]",
    "tensor([[1.0, 2.0]]).reshape(2)[:0]",
]


def main():
    names = {"nn": nn, "tensor": torch.tensor, "float64": torch.float64}
    entries = [[e, repr(eval(e, names))] for e in MODULES + TENSORS]  # noqa: S307 (our own list)
    OUTPUT.write_text(json.dumps(entries, indent=1) + "\n")
    print(f"wrote {OUTPUT} ({len(entries)} reprs)")


if __name__ == "__main__":
    main()
