"""Write torchvision's reference values for every tinycnn model builder.

Two files, both read by the tests under tests/models/:

tests/data/model_state_dict_keys.json.gz   (tests/models/test_state_dict_snapshot.py)
    For each of torchvision's 21 builders at its defaults (num_classes=1000), plus
    googlenet(aux_logits=False): the state-dict keys in order, with each entry's shape and
    dtype, and the number of parameters. Gzipped JSON:

        {"torch": version, "torchvision": version,
         "models": [{"name": "googlenet(aux_logits=False)", "module": "googlenet",
                     "builder": "googlenet", "kwargs": {"aux_logits": false},
                     "num_parameters": 6624904,
                     "state_dict": [["conv1.conv.weight", [64, 3, 7, 7], "float32"], ...]},
                    ...]}

    `module` is the torchvision.models submodule that defines the builder; tinycnn.models
    has a module of the same name.

tests/data/model_outputs.npz   (tests/models/test_torchvision_outputs.py)
    For a few models, the outputs of torchvision's model for a fixed input, with every
    parameter and buffer filled by `seeded_state_dict` from tests/models/seeded_weights.py.
    The weights are not stored (they would take hundreds of megabytes): the test rebuilds
    them from the same function. Everything is computed in float64 (`model.double()`).
    Keys:

        input/<N>x<C>x<H>x<W>       an input, float64 with values exact in float32
        <name>/spec                 JSON: {"module", "builder", "kwargs", "seed", "input",
                                    "state_dict": [[key, shape], ...]}: how to rebuild the
                                    model and its seeded weights, and the key of its input
        <name>/eval/logits          output in eval mode (running statistics)
        <name>/train/logits         output in training mode (batch statistics), run after
                                    the eval call on the freshly loaded weights
        <name>/train/aux_logits2    googlenet only: the auxiliary heads' outputs, in
        <name>/train/aux_logits1    torchvision's GoogLeNetOutputs order
        <name>/train/state/<key>    running_mean, running_var and num_batches_tracked of the
                                    first, the middle and the last BatchNorm layer after the
                                    training call

    Dropout is made deterministic by building alexnet, vgg and squeezenet with dropout=0.0
    and googlenet with dropout=0.0, dropout_aux=0.0 (resnet has no dropout; densenet's
    drop_rate is 0 by default), so training mode differs from eval mode only in BatchNorm.
    vgg and googlenet are also built with init_weights=False: the seeded weights replace
    the initialization anyway.

    Inputs hold 2 images of 64 x 64 (AlexNet's last feature map is then 1 x 1, which its
    adaptive average pool repeats to 6 x 6), except for googlenet and resnet50: at 64 x 64
    their last BatchNorm layers take batch statistics over only 2 x 2 x 2 values, which
    amplifies float32 rounding to ~1e-4 relative in the training-mode logits (torch's own
    float32 run included); at 128 x 128 (4 x 4 x 2 values) it stays near 1e-5.

torch and torchvision are needed by this script only, never by tinycnn or its tests. Run:

    /root/venvs/torchvision/bin/python tools/make_model_reference.py

The output is byte-for-byte the same on every run: weights and inputs come from seeded NumPy
generators, torch runs single-threaded with deterministic algorithms, the gzip header carries
no timestamp and the archive entries a fixed one.
"""

import gzip
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import torch
import torchvision
import torchvision.models as tvm

ROOT = Path(__file__).resolve().parent.parent
# The seeded weights have one definition, shared with the tests that rebuild them.
sys.path.insert(0, str(ROOT / "tests" / "models"))
# The sibling script's writer (fixed zip timestamps); importable because Python puts this
# script's folder on sys.path.
from make_functional_reference import save_npz  # noqa: E402
from seeded_weights import seeded_input, seeded_state_dict  # noqa: E402

SNAPSHOT = ROOT / "tests" / "data" / "model_state_dict_keys.json.gz"
OUTPUTS = ROOT / "tests" / "data" / "model_outputs.npz"

BUILDERS = (
    "alexnet",
    "vgg11",
    "vgg11_bn",
    "vgg13",
    "vgg13_bn",
    "vgg16",
    "vgg16_bn",
    "vgg19",
    "vgg19_bn",
    "googlenet",
    "resnet18",
    "resnet34",
    "resnet50",
    "resnet101",
    "resnet152",
    "densenet121",
    "densenet161",
    "densenet169",
    "densenet201",
    "squeezenet1_0",
    "squeezenet1_1",
)
# (builder, kwargs) for each snapshot entry: every builder at its defaults, plus googlenet
# without the auxiliary heads (torchvision's default with weights=None builds them).
SNAPSHOT_BUILDS = [(name, {}) for name in BUILDERS] + [("googlenet", {"aux_logits": False})]

NO_DROPOUT = {"dropout": 0.0}
# init_weights=False skips an initialization that the seeded weights replace anyway.
NO_DROPOUT_NO_INIT = {"dropout": 0.0, "init_weights": False}
SMALL = (2, 3, 64, 64)
LARGE = (2, 3, 128, 128)  # where SMALL leaves too few values for float32 batch statistics
# name -> (builder, kwargs, input shape) of each output case.
OUTPUT_CASES = {
    "alexnet": ("alexnet", NO_DROPOUT, SMALL),
    "vgg11_bn": ("vgg11_bn", NO_DROPOUT_NO_INIT, SMALL),
    "googlenet": ("googlenet", {**NO_DROPOUT_NO_INIT, "dropout_aux": 0.0}, LARGE),
    "resnet18": ("resnet18", {}, SMALL),
    "resnet50": ("resnet50", {}, LARGE),
    "densenet121": ("densenet121", {}, SMALL),
    "squeezenet1_0": ("squeezenet1_0", NO_DROPOUT, SMALL),
    "squeezenet1_1": ("squeezenet1_1", NO_DROPOUT, SMALL),
}
WEIGHT_SEED = 0


def entry_name(builder, kwargs):
    """'googlenet' or 'googlenet(aux_logits=False)'."""
    arguments = ", ".join(f"{key}={value!r}" for key, value in kwargs.items())
    return f"{builder}({arguments})" if arguments else builder


def build(builder, kwargs):
    """torchvision's model, in eval mode, and the name of the module that defines it."""
    torch.manual_seed(0)
    function = getattr(tvm, builder)
    return function(weights=None, **kwargs).eval(), function.__module__.rsplit(".", 1)[-1]


def snapshot_entry(builder, kwargs):
    model, module = build(builder, kwargs)
    return {
        "name": entry_name(builder, kwargs),
        "module": module,
        "builder": builder,
        "kwargs": kwargs,
        "num_parameters": sum(p.numel() for p in model.parameters()),
        "state_dict": [
            [key, list(value.shape), str(value.dtype).removeprefix("torch.")]
            for key, value in model.state_dict().items()
        ],
    }


def snapshot_json(snapshot):
    """The snapshot as JSON with one line per state-dict entry, so that `zcat` output diffs
    readably when a regenerated snapshot changes."""
    models = []
    for entry in snapshot["models"]:
        fields = json.dumps({key: value for key, value in entry.items() if key != "state_dict"})
        rows = ",\n".join(f"   {json.dumps(row)}" for row in entry["state_dict"])
        models.append(f'  {fields[:-1]}, "state_dict": [\n{rows}\n  ]}}')
    versions = json.dumps({key: value for key, value in snapshot.items() if key != "models"})
    return f'{versions[:-1]}, "models": [\n' + ",\n".join(models) + "\n]}\n"


def write_snapshot():
    snapshot = {
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "models": [snapshot_entry(builder, kwargs) for builder, kwargs in SNAPSHOT_BUILDS],
    }
    text = snapshot_json(snapshot)
    assert json.loads(text) == snapshot  # the hand-made layout is still the same JSON
    SNAPSHOT.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))
    return snapshot


def tracked_batch_norms(model):
    """Names of the first, the middle and the last BatchNorm2d of `model`."""
    names = [n for n, m in model.named_modules() if isinstance(m, torch.nn.BatchNorm2d)]
    return [names[i] for i in sorted({0, len(names) // 2, len(names) - 1})] if names else []


def output_values(name, builder, kwargs, image_key, image):
    """Every array stored for one output case, by key, except its input."""
    model, module = build(builder, kwargs)
    model.double()
    shapes = {key: tuple(value.shape) for key, value in model.state_dict().items()}
    weights = seeded_state_dict(shapes, WEIGHT_SEED)
    model.load_state_dict({key: torch.from_numpy(array) for key, array in weights.items()})
    spec = {
        "module": module,
        "builder": builder,
        "kwargs": kwargs,
        "seed": WEIGHT_SEED,
        "input": image_key,
        "state_dict": [[key, list(shape)] for key, shape in shapes.items()],
    }
    values = {f"{name}/spec": np.array(json.dumps(spec))}
    with torch.no_grad():
        values[f"{name}/eval/logits"] = model(torch.from_numpy(image)).numpy()
        outputs = model.train()(torch.from_numpy(image))
    if isinstance(outputs, tvm.GoogLeNetOutputs):
        for field, array in outputs._asdict().items():
            values[f"{name}/train/{field}"] = array.numpy()
    else:
        values[f"{name}/train/logits"] = outputs.numpy()
    state = model.state_dict()
    for layer in tracked_batch_norms(model):
        for buffer in ("running_mean", "running_var", "num_batches_tracked"):
            key = f"{layer}.{buffer}"
            values[f"{name}/train/state/{key}"] = state[key].numpy().copy()
    return values


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    # torchvision warns that googlenet's default initialization will change; the weights
    # used here are overwritten anyway.
    warnings.filterwarnings("ignore", message="The default weight initialization of GoogleNet")
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    snapshot = write_snapshot()
    print(f"wrote {SNAPSHOT} ({SNAPSHOT.stat().st_size} bytes)")
    for entry in snapshot["models"]:
        print(
            f"  {entry['name']:30s} {len(entry['state_dict']):5d} keys "
            f"{entry['num_parameters']:>12,d} parameters"
        )
    values = {}
    for name, (builder, kwargs, shape) in OUTPUT_CASES.items():
        key = "input/" + "x".join(map(str, shape))
        if key not in values:
            values[key] = seeded_input(key, shape)
        values.update(output_values(name, builder, kwargs, key, values[key]))
        print(f"  {name}: computed")
    save_npz(OUTPUTS, values)
    print(f"wrote {OUTPUTS} ({OUTPUTS.stat().st_size} bytes, {len(values)} arrays)")


if __name__ == "__main__":
    main()
