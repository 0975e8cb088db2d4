"""Write a .safetensors file with the safetensors package, for tinycnn's reader to match.

    tests/data/safetensors_reference.safetensors   written by safetensors.torch.save_file
    tests/data/safetensors_reference.npz           the same tensors as NumPy arrays
                                                   (bfloat16 widened to float32, exactly)

Read by tests/io/test_weight_round_trips.py. Needs torch and safetensors (neither is a
dependency of tinycnn or its tests); e.g. with safetensors installed to a folder of its own:

    pip install --target /tmp/safetensors_pkgs safetensors
    PYTHONPATH=/tmp/safetensors_pkgs /root/venvs/torchvision/bin/python \\
        tools/make_safetensors_fixture.py [FILE]

With FILE, a .safetensors file (e.g. one tinycnn.save wrote), it also checks that
safetensors.torch.load_file reads it.
"""

import sys
from pathlib import Path

import numpy as np
import torch
from safetensors.torch import load_file, save_file

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def main():
    generator = torch.Generator().manual_seed(0)
    tensors = {
        "conv.weight": torch.randn(2, 3, 3, 3, generator=generator),
        "float64": torch.randn(3, generator=generator).double(),
        "float16": torch.randn(2, 5, generator=generator).half(),
        "bfloat16": torch.randn(3, 4, generator=generator).bfloat16(),
        "bfloat16_specials": torch.tensor(
            [float("inf"), float("-inf"), float("nan"), -0.0, 1e-40]
        ).bfloat16(),
        "int64": torch.arange(-3, 4),
        "int32": torch.tensor([-(2**31), 2**31 - 1], dtype=torch.int32),
        "int8": torch.tensor([-128, 127], dtype=torch.int8),
        "uint8": torch.arange(250, 256, dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "bn.num_batches_tracked": torch.tensor(7),
        "empty": torch.zeros(0, 3),
    }
    save_file(tensors, DATA / "safetensors_reference.safetensors", metadata={"format": "pt"})
    expected = {
        name: (value.float() if value.dtype == torch.bfloat16 else value).numpy()
        for name, value in tensors.items()
    }
    np.savez_compressed(DATA / "safetensors_reference.npz", **expected)
    for suffix in (".safetensors", ".npz"):
        path = DATA / f"safetensors_reference{suffix}"
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    if len(sys.argv) > 1:  # a .safetensors file written by tinycnn: does the package read it?
        theirs = load_file(sys.argv[1])
        print(
            f"safetensors.torch.load_file({sys.argv[1]}): {len(theirs)} tensors, dtypes",
            sorted({str(t.dtype) for t in theirs.values()}),
        )


if __name__ == "__main__":
    main()
