"""Write .pth files with torch for tinycnn's weight-file tests, and check tinycnn against
torch on full-size torchvision models.

Part 1 writes small fixtures under tests/data/ (read by tests/io/test_torch_files.py):

    torch_checkpoint_zip.pth      CHECKPOINT saved by torch.save (the zip format)
    torch_checkpoint_legacy.pth   CHECKPOINT saved with _use_new_zipfile_serialization=False
    torch_checkpoint_pre04.pth    the legacy format with tensors pickled as torch < 0.4 did,
                                  torch._utils._rebuild_tensor(storage, offset, size, stride)
    torch_tiny_densenet.pth       a small torchvision DenseNet's state dict as the published
                                  densenet files hold it: legacy format, legacy key names
                                  (denselayer1.norm.1.weight), no num_batches_tracked
    torch_weights_expected.npz    what torch saved, as NumPy arrays (bfloat16 widened to
                                  float32, exactly); keys:
        checkpoint/<path>         each tensor of CHECKPOINT, <path> its keys joined by "/"
        checkpoint/json           CHECKPOINT's other values (numbers, strings, lists) as JSON,
                                  tensors replaced by null
        tiny_net/input, tiny_net/output         TinyNet's eval-mode input and output
        tiny_densenet/config      JSON: the DenseNet's constructor arguments
        tiny_densenet/input, tiny_densenet/logits   its eval-mode input and output

CHECKPOINT is a training checkpoint, {"epoch": 3, "state_dict": {"module.0.weight": ...},
"tensors": {...}, ...}: a TinyNet state dict saved from nn.DataParallel (hence "module."),
and tensors of every dtype torch saves, with transposed, sliced, expanded and shared storage.

Part 2 (nothing is kept) is the acceptance check of issue 6: torchvision's resnet18,
densenet121, squeezenet1_0 and squeezenet1_1, with every weight drawn by
tests/models/seeded_weights.py, are saved by torch in both formats (densenet121 also as its
published file is: legacy keys, no num_batches_tracked; resnet18 also as a nested
DataParallel checkpoint) and loaded by `tinycnn.models.<name>(weights=path)` in a separate
Python where `import torch` fails; the logits for one 224 x 224 image are compared with
torchvision's. Then the other way: tinycnn saves its own models as .pth, and torch loads them
with weights_only=True (and mmap=True), bit-exactly equal to tinycnn's arrays, and
torchvision's models given those weights produce tinycnn's logits. It prints the largest
relative difference, max |tinycnn - torch| / max |torch|, per file.

torch and torchvision are needed by this script only. Run:

    /root/venvs/torchvision/bin/python tools/make_weight_fixtures.py [--tinycnn-python PY]

PY runs tinycnn (default /root/venvs/dev/bin/python). torch.save's zip archives carry a random
serialization id, so the .pth fixtures differ in those bytes from run to run.
"""

import argparse
import json
import pickle
import subprocess
import sys
import tempfile
import types
from collections import OrderedDict
from pathlib import Path

import numpy as np
import torch
import torchvision.models as tvm
from torchvision.models.densenet import DenseNet

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
sys.path.insert(0, str(ROOT / "tests" / "models"))
from seeded_weights import seeded_input, seeded_state_dict  # noqa: E402

TINY_DENSENET = {
    "growth_rate": 4,
    "block_config": [2, 2],
    "num_init_features": 8,
    "bn_size": 2,
    "num_classes": 5,
}
FULL_MODELS = ("resnet18", "densenet121", "squeezenet1_0", "squeezenet1_1")
FULL_INPUT = (1, 3, 224, 224)


class TinyNet(torch.nn.Sequential):
    """conv, batch norm, ReLU, global average pool, linear: the same keys as a tinycnn
    nn.Sequential of the same layers (0.weight, 1.running_mean, 5.bias, ...)."""

    def __init__(self):
        super().__init__(
            torch.nn.Conv2d(3, 4, 3, padding=1),
            torch.nn.BatchNorm2d(4),
            torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1),
            torch.nn.Flatten(),
            torch.nn.Linear(4, 5),
        )


def make_checkpoint():
    """The training checkpoint the fixtures hold, and TinyNet's input and output."""
    generator = torch.Generator().manual_seed(0)

    def normal(*shape):
        return torch.randn(*shape, generator=generator)

    torch.manual_seed(0)
    net = TinyNet()
    net[1].running_mean.copy_(normal(4) * 0.1)
    net[1].running_var.copy_(normal(4).abs() + 0.5)
    net[1].num_batches_tracked.fill_(12)
    net.eval()
    image = normal(2, 3, 6, 6)
    with torch.no_grad():
        output = net(image)
    shared = normal(4, 6)
    tensors = OrderedDict(
        float32=normal(2, 3),
        float64=normal(3).double(),
        float16=normal(2, 5).half(),
        bfloat16=normal(3, 4).bfloat16(),
        bfloat16_specials=torch.tensor(
            [float("inf"), float("-inf"), float("nan"), -0.0, 1e-40, 3.0e38]
        ).bfloat16(),
        int64=torch.arange(-3, 4),
        int32=torch.tensor([-(2**31), 2**31 - 1], dtype=torch.int32),
        int16=torch.tensor([-7, 300], dtype=torch.int16),
        int8=torch.tensor([-128, 127], dtype=torch.int8),
        uint8=torch.arange(250, 256, dtype=torch.uint8),
        bool=torch.tensor([True, False, True]),
        complex64=torch.complex(normal(2), normal(2)),
        scalar=torch.tensor(2.5),
        empty=torch.zeros(0, 3),
        transposed=shared.t(),  # stride (1, 6)
        sliced=shared[1:, ::2],  # offset 6, stride (6, 2): the same storage as transposed
        expanded=torch.arange(3.0).expand(2, 3),  # stride (0, 1)
        parameter=torch.nn.Parameter(normal(2)),  # pickled through _rebuild_parameter
    )
    checkpoint = {
        "epoch": 3,
        "arch": "tiny",
        "best_acc1": 0.625,
        "milestones": [30, 60],
        "state_dict": OrderedDict(
            ("module." + key, value) for key, value in net.state_dict().items()
        ),
        "tensors": tensors,
        "ema": {"decay": 0.999, "shadow": [normal(2), normal(1)]},
    }
    return checkpoint, image, output


def flatten_tensors(obj, path, found):
    """Record every tensor of `obj` under its path; returns `obj` with tensors as None."""
    if isinstance(obj, torch.Tensor):
        found[path] = obj.detach().float() if obj.dtype == torch.bfloat16 else obj.detach()
        return None
    if isinstance(obj, dict):
        return {key: flatten_tensors(value, f"{path}/{key}", found) for key, value in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [flatten_tensors(item, f"{path}/{index}", found) for index, item in enumerate(obj)]
    return obj


class Pre04Pickler(pickle.Pickler):
    """Pickles tensors as torch < 0.4 did: _rebuild_tensor(storage, offset, size, stride)."""

    def reducer_override(self, obj):
        if type(obj) in (torch.Tensor, torch.nn.Parameter):
            return torch._utils._rebuild_tensor, (
                obj._typed_storage(),
                obj.storage_offset(),
                tuple(obj.size()),
                obj.stride(),
            )
        return NotImplemented


def legacy_densenet_state(state_dict):
    """A torchvision DenseNet state dict as the published files hold it."""
    renamed = OrderedDict()
    for key, value in state_dict.items():
        if key.endswith("num_batches_tracked"):
            continue  # the buffer arrived in torch 0.4.1, after the files were made
        for layer in ("norm", "relu", "conv"):
            for number in ("1", "2"):
                key = key.replace(f".{layer}{number}.", f".{layer}.{number}.")
        renamed[key] = value
    return renamed


def write_fixtures():
    checkpoint, image, output = make_checkpoint()
    torch.save(checkpoint, DATA / "torch_checkpoint_zip.pth")
    torch.save(
        checkpoint, DATA / "torch_checkpoint_legacy.pth", _use_new_zipfile_serialization=False
    )
    pre04 = types.ModuleType("pre04_pickle")  # what torch.save needs of a pickle module
    pre04.dump, pre04.Pickler = pickle.dump, Pre04Pickler
    torch.save(
        checkpoint,
        DATA / "torch_checkpoint_pre04.pth",
        pickle_module=pre04,
        _use_new_zipfile_serialization=False,
    )
    for name in ("zip", "legacy", "pre04"):  # torch itself reads back what it saved
        reread = torch.load(DATA / f"torch_checkpoint_{name}.pth", weights_only=True)
        assert torch.equal(reread["tensors"]["sliced"], checkpoint["tensors"]["sliced"])
    tensors = {}
    others = flatten_tensors(checkpoint, "checkpoint", tensors)
    expected = {key: value.contiguous().numpy() for key, value in tensors.items()}
    expected["checkpoint/json"] = np.array(json.dumps(others))
    expected["tiny_net/input"] = image.numpy()
    expected["tiny_net/output"] = output.numpy()

    torch.manual_seed(0)
    densenet = DenseNet(**{**TINY_DENSENET, "block_config": tuple(TINY_DENSENET["block_config"])})
    densenet.eval()
    with torch.no_grad():  # running statistics other than 0 and 1, so they matter
        for module in densenet.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.normal_(0, 0.1)
                module.running_var.uniform_(0.5, 1.5)
    densenet_input = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        expected["tiny_densenet/logits"] = densenet(densenet_input).numpy()
    expected["tiny_densenet/input"] = densenet_input.numpy()
    expected["tiny_densenet/config"] = np.array(json.dumps(TINY_DENSENET))
    torch.save(
        legacy_densenet_state(densenet.state_dict()),
        DATA / "torch_tiny_densenet.pth",
        _use_new_zipfile_serialization=False,
    )
    np.savez_compressed(DATA / "torch_weights_expected.npz", **expected)
    for path in sorted(DATA.glob("torch_*")):
        print(f"wrote {path.relative_to(ROOT)} ({path.stat().st_size:,} bytes)")


# Run by the tinycnn Python, where torch must not be importable: loads every file of
# jobs["load"] into its model, and saves tinycnn's own models for jobs["save"].
TINYCNN_SIDE = """
import json, sys
sys.modules["torch"] = None  # from here on, `import torch` raises ImportError
try:
    import torch
except ImportError:
    print("in the tinycnn process, `import torch` raises ImportError")
else:
    raise SystemExit("torch is importable in the tinycnn process")
import numpy as np
import tinycnn
from tinycnn import models

jobs = json.loads(sys.argv[1])
image = tinycnn.tensor(np.load(jobs["input"]).astype(np.float32))
logits = {}
for name, path in jobs["load"]:
    with tinycnn.no_grad():
        logits[path] = getattr(models, name)(weights=path).eval()(image).numpy()
for name, path in jobs["save"]:
    tinycnn.manual_seed(0)
    model = getattr(models, name)().eval()
    with tinycnn.no_grad():
        logits[path] = model(image).numpy()
    tinycnn.save(model, path)
    tinycnn.save(model, path.replace(".pth", ".npz"))
np.savez(jobs["output"], **logits)
"""


def relative_difference(ours, reference):
    return float(np.abs(ours - reference).max() / np.abs(reference).max())


def acceptance(tinycnn_python, folder):
    image = seeded_input("acceptance", FULL_INPUT).astype(np.float32)
    np.save(folder / "input.npy", image)
    reference, loads, saves = {}, [], []
    for name in FULL_MODELS:
        torch.manual_seed(0)
        model = getattr(tvm, name)().eval()
        shapes = {key: tuple(value.shape) for key, value in model.state_dict().items()}
        weights = {key: torch.from_numpy(a) for key, a in seeded_state_dict(shapes).items()}
        model.load_state_dict(weights)
        with torch.no_grad():
            logits = model(torch.from_numpy(image)).numpy()
        files = {
            f"{name}_zip.pth": (weights, True),
            f"{name}_legacy.pth": (weights, False),
        }
        if name == "densenet121":
            files[f"{name}_published_style.pth"] = (legacy_densenet_state(weights), False)
        if name == "resnet18":
            nested = {"epoch": 90, "state_dict": {"module." + k: v for k, v in weights.items()}}
            files[f"{name}_nested_dataparallel.pth"] = (nested, True)
        for filename, (obj, zip_format) in files.items():
            path = str(folder / filename)
            torch.save(obj, path, _use_new_zipfile_serialization=zip_format)
            loads.append((name, path))
            reference[path] = logits
        saves.append((name, str(folder / f"{name}_from_tinycnn.pth")))
    jobs = {"input": str(folder / "input.npy"), "output": str(folder / "logits.npz")}
    jobs.update(load=loads, save=saves)
    result = subprocess.run(
        [tinycnn_python, "-c", TINYCNN_SIDE, json.dumps(jobs)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"the tinycnn process failed:\n{result.stderr}")
    print(result.stdout.strip())
    ours = np.load(jobs["output"])
    print("torch -> tinycnn: max |logits_tinycnn - logits_torchvision| / max |logits_torchvision|")
    for _, path in loads:
        print(f"  {Path(path).name:40s} {relative_difference(ours[path], reference[path]):.2e}")
    print("tinycnn -> torch: torch.load(weights_only=True) of tinycnn's .pth, into torchvision")
    for name, path in saves:
        state = torch.load(path, weights_only=True)
        mapped = torch.load(path, weights_only=True, mmap=True)
        arrays = np.load(path.replace(".pth", ".npz"))
        exact = list(state) == list(arrays.files) and all(
            np.array_equal(state[k].numpy(), arrays[k])
            and state[k].numpy().dtype == arrays[k].dtype
            and torch.equal(mapped[k], state[k])
            for k in state
        )
        model = getattr(tvm, name)().eval()
        model.load_state_dict(state)  # strict: every key and shape as torchvision's
        with torch.no_grad():
            logits = model(torch.from_numpy(image)).numpy()
        print(
            f"  {Path(path).name:40s} {relative_difference(logits, ours[path]):.2e}   "
            f"tensors bit-exact (also with mmap=True): {exact}"
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tinycnn-python", default="/root/venvs/dev/bin/python")
    args = parser.parse_args()
    torch.set_num_threads(1)
    write_fixtures()
    with tempfile.TemporaryDirectory(prefix="tinycnn_weights_") as folder:
        acceptance(args.tinycnn_python, Path(folder))


if __name__ == "__main__":
    main()
