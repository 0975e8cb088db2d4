"""Whole-network benchmark: forward and training-step time per image, and peak memory.

For each model it measures, in float32:

- forward: one evaluation-mode forward pass without gradients;
- training step: forward, cross-entropy loss, backward and an SGD step (momentum 0.9);

each model at one batch size and image size (`INPUTS`: 224x224 for ResNet-18, 128x128
for the others, which keeps VGG and AlexNet affordable), plus ResNet-18 and SqueezeNet at
batch 1, 224x224, the latency `tinycnn predict` sees; for tinycnn and, when an interpreter
with torch and torchvision is given or found, for PyTorch beside it. ``--small-images``
adds batch 64 on 32x32 images (for the models that accept them: AlexNet does not).
``--memory`` adds a ResNet-18 training step at batch 32, 224x224, for the peak-memory
comparison.

Every (framework, model, input) runs in a child process of its own, and the peak memory
is that process's peak resident set size (``ru_maxrss``). Why not tracemalloc: it sees
only allocations made through Python's allocator hooks, so it misses Numba's arrays,
OpenBLAS's buffers and all of PyTorch's memory; the resident set counts everything, the
same way for both frameworks. The figure includes the interpreter, the libraries and the
model's weights, so the resident size right after building the model is reported too.

Each figure is the median of ``--repeats`` timed calls (5 by default), after the first call
and `WARM_UP_CALLS` more that are not timed; the JSON file keeps the fastest and slowest
call too. PyTorch needs the warm-up: its first training steps can take several times as
long as the later ones, so a median of the calls right after the first measured its
warm-up (docs/performance.md has the figures).

The child also times ``import`` and the first forward pass: with Numba's on-disk cache
warm (any second run), that is the cold start a user waits for. The first calls also time
the convolution algorithms of each new layer (``tinycnn/kernels/conv/tuning.py``) unless
an earlier run stored its choices; that time is reported apart (``tuning_s``).

Usage:
    python benchmarks/models.py [--quick] [--models resnet18 vgg11] [--memory]
        [--torch-python /path/to/python-with-torch-and-torchvision] [--json out.json]
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time

from timing import machine, torch_is_installed, write_json

MODELS = ["alexnet", "vgg11", "googlenet", "resnet18", "resnet50", "densenet121", "squeezenet1_1"]
QUICK_MODELS = ["resnet18", "squeezenet1_1"]
# AlexNet's 11x11/4 stem and three 3x3/2 poolings leave nothing of a 32x32 image.
NEEDS_LARGE_INPUT = {"alexnet"}
# model: [(name, batch, image size), ...]; --quick uses smaller batches.
INPUTS = {
    "alexnet": [("128px", 8, 128)],
    "vgg11": [("128px", 4, 128)],
    "googlenet": [("128px", 8, 128)],
    "resnet18": [("224px", 8, 224), ("224px", 1, 224)],
    "resnet50": [("128px", 4, 128)],
    "densenet121": [("128px", 8, 128)],
    "squeezenet1_1": [("128px", 8, 128), ("224px", 1, 224)],
}
SMALL_IMAGES = ("32px", 64, 32)
QUICK_INPUTS = [("224px", 2, 224), ("32px", 8, 32)]
MEMORY_INPUT = ("224px-b32", 32, 224)
NUM_CLASSES = 1000
LEARNING_RATE = 0.01


def resident_mib():
    """This process's current resident set size, in MiB (Linux's /proc/self/statm)."""
    with open("/proc/self/statm") as statm:
        pages = int(statm.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def peak_resident_mib():
    """This process's peak resident set size so far, in MiB (ru_maxrss is KiB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10


# Calls after the first that are not timed (the module docstring says why).
WARM_UP_CALLS = 3


def timed_calls(function, repeats):
    """(median, fastest, slowest) seconds of ``repeats`` calls, after `WARM_UP_CALLS`."""
    for _ in range(WARM_UP_CALLS):
        function()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


# ------------------------------------------------------------- the two frameworks' steps
# Each builder returns (forward, train_step, resident MiB after building the model); both
# functions take no arguments. Imports happen inside, so that each child process imports
# only the framework it measures.


def step_functions(model, images, labels, optimizer, no_grad, cross_entropy):
    """forward() and train_step() of `model`: the same steps in either framework, given the
    framework's no_grad context and cross-entropy function."""

    def forward():
        model.eval()
        with no_grad():
            model(images)

    def train_step():
        model.train()
        optimizer.zero_grad()
        loss = cross_entropy(model(images), labels)
        loss.backward()
        optimizer.step()

    return forward, train_step


def build_tinycnn(name, batch, size, seed):
    import numpy as np

    import tinycnn
    import tinycnn.nn.functional as F
    from tinycnn import models, optim

    tinycnn.manual_seed(seed)
    options = {"aux_logits": False} if name == "googlenet" else {}
    model = models.get_model(name, num_classes=NUM_CLASSES, **options)
    rng = np.random.default_rng(seed)
    images = tinycnn.tensor(rng.standard_normal((batch, 3, size, size), dtype=np.float32))
    labels = rng.integers(0, NUM_CLASSES, batch)
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=0.9)
    built = resident_mib()
    forward, train_step = step_functions(
        model, images, labels, optimizer, tinycnn.no_grad, F.cross_entropy
    )
    return forward, train_step, built


def build_torch(name, batch, size, seed):
    import numpy as np
    import torch
    import torchvision

    torch.manual_seed(seed)
    torch.set_num_threads(os.cpu_count())
    options = {"aux_logits": False, "init_weights": True} if name == "googlenet" else {}
    model = torchvision.models.get_model(name, num_classes=NUM_CLASSES, **options)
    rng = np.random.default_rng(seed)
    images = torch.from_numpy(rng.standard_normal((batch, 3, size, size), dtype=np.float32))
    labels = torch.from_numpy(rng.integers(0, NUM_CLASSES, batch))
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE, momentum=0.9)
    built = resident_mib()
    forward, train_step = step_functions(
        model, images, labels, optimizer, torch.no_grad, torch.nn.functional.cross_entropy
    )
    return forward, train_step, built


BUILDERS = {"tinycnn": build_tinycnn, "torch": build_torch}


def run_worker(framework, name, batch, size, repeats, train_only):
    """Measure one model on one input in this process; return a dict of figures."""
    start = time.perf_counter()
    if framework == "tinycnn":
        import tinycnn  # noqa: F401  (timed: the import is part of the cold start)
    else:
        import torch  # noqa: F401
    import_s = time.perf_counter() - start
    forward, train_step, built = BUILDERS[framework](name, batch, size, seed=0)

    def tuning_seconds():
        if framework != "tinycnn":
            return None
        from tinycnn.kernels.conv import tuning

        return tuning.SECONDS_SPENT[0]

    result = {"import_s": import_s, "resident_after_build_mib": built}
    if not train_only:
        start = time.perf_counter()
        forward()  # first call: Numba cache load or compilation, first page faults
        result["first_forward_s"] = time.perf_counter() - start
        result["import_to_first_forward_s"] = import_s + result["first_forward_s"]
        median, fastest, slowest = timed_calls(forward, repeats)
        result["forward_per_image_s"] = median / batch
        result["forward_range_per_image_s"] = [fastest / batch, slowest / batch]
    start = time.perf_counter()
    train_step()
    result["first_train_step_s"] = time.perf_counter() - start
    median, fastest, slowest = timed_calls(train_step, repeats)
    result["train_step_per_image_s"] = median / batch
    result["train_step_range_per_image_s"] = [fastest / batch, slowest / batch]
    result["tuning_s"] = tuning_seconds()  # included in the first calls above
    result["peak_resident_mib"] = peak_resident_mib()
    return result


def run_child(python, framework, name, batch, size, repeats, train_only):
    """Run one measurement in a fresh process; None (with a message) if it failed."""
    command = [python, os.path.abspath(__file__), "--worker", framework, "--models", name,
               "--batch", str(batch), "--size", str(size), "--repeats", str(repeats)]  # fmt: skip
    if train_only:
        command.append("--train-only")
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        print(f"  {framework} {name} {batch}x{size}: failed: {last}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def find_torch_python(given):
    """The interpreter for the PyTorch runs: --torch-python, or this one if it has both."""
    if given:
        return given
    if torch_is_installed():
        import importlib.util

        if importlib.util.find_spec("torchvision") is not None:
            return sys.executable
    return None


def milliseconds(seconds):
    return f"{seconds * 1e3:8.1f}" if seconds else "       -"


def print_row(model, setting, results):
    t, p = results.get("tinycnn"), results.get("torch")

    def figure(result, key):
        return result.get(key) if result else None

    ratio = None
    if t and p:
        ratio = p["train_step_per_image_s"] / t["train_step_per_image_s"]
    cells = [
        milliseconds(figure(t, "forward_per_image_s")),
        milliseconds(figure(p, "forward_per_image_s")),
        milliseconds(figure(t, "train_step_per_image_s")),
        milliseconds(figure(p, "train_step_per_image_s")),
        f"{ratio:6.2f}" if ratio else "     -",
        f"{figure(t, 'peak_resident_mib') or 0:7.0f}",
        f"{figure(p, 'peak_resident_mib') or 0:7.0f}",
    ]
    print(f"{model:14s} {setting:10s} " + " ".join(cells), flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two models, small batches")
    parser.add_argument("--models", nargs="+", choices=MODELS, help="models to run")
    parser.add_argument("--memory", action="store_true", help="add ResNet-18 at batch 32, 224")
    parser.add_argument("--small-images", action="store_true", help="add batch 64 at 32x32")
    parser.add_argument("--torch-python", help="python with torch and torchvision")
    parser.add_argument("--no-torch", action="store_true", help="skip PyTorch")
    parser.add_argument("--repeats", type=int, default=None, help="timed calls per figure")
    parser.add_argument("--json", default="models_benchmark.json", help="where to write results")
    parser.add_argument("--worker", choices=sorted(BUILDERS), help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--train-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    repeats = args.repeats or (1 if args.quick else 5)

    if args.worker:  # child process: one model, one input; print JSON and stop
        figures = run_worker(args.worker, args.models[0], args.batch, args.size, repeats,
                             args.train_only)  # fmt: skip
        print(json.dumps(figures))
        return 0

    names = args.models or (QUICK_MODELS if args.quick else MODELS)
    torch_python = None if args.no_torch else find_torch_python(args.torch_python)
    pythons = {"tinycnn": sys.executable, **({"torch": torch_python} if torch_python else {})}

    def inputs(name):
        if args.quick:
            return QUICK_INPUTS
        return INPUTS[name] + ([SMALL_IMAGES] if args.small_images else [])

    jobs = [
        (name, setting, batch, size, False)
        for name in names
        for setting, batch, size in inputs(name)
        if not (size < 64 and name in NEEDS_LARGE_INPUT)
    ]
    if args.memory:
        jobs.append(("resnet18", *MEMORY_INPUT, True))
    print("per image, milliseconds; peak resident memory of the whole process, MiB")
    print(f"{'model':14s} {'input':10s} {'fwd tiny':>8s} {'fwd torch':>8s} {'trn tiny':>8s} "
          f"{'trn torch':>8s} {'torch/tiny':>6s} {'MiB tiny':>7s} {'MiB torch':>7s}")  # fmt: skip
    rows = []
    for name, setting, batch, size, train_only in jobs:
        results = {
            framework: run_child(python, framework, name, batch, size, repeats, train_only)
            for framework, python in pythons.items()
        }
        print_row(name, f"{setting} b{batch}", results)
        rows.append({"model": name, "input": setting, "batch": batch, "size": size,
                     "results": results})  # fmt: skip
    write_json(args.json, {"environment": machine(), "repeats": repeats,
                           "torch_python": torch_python, "rows": rows})  # fmt: skip
    print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
