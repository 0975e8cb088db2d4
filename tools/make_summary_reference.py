"""Write torchvision's published size and cost of every model, and torch's exact counts, for
the tests of `tinycnn.summary` (tests/summary/test_totals.py).

tests/data/summary_reference.json holds, for each of tinycnn's model builders:

    {"name": "resnet18", "builder": "resnet18", "kwargs": {}, "input": [3, 224, 224],
     "published": {"weights": "ResNet18_Weights.IMAGENET1K_V1",
                   "num_params": 11689512, "gmacs": 1.814},
     "counted": {"num_params": 11689512, "macs": 1814073344,
                 "macs_by_op": {"aten.convolution": 1813561344, "aten.addmm": 512000}}}

- "published" is what torchvision ships in `get_model_weights(name).DEFAULT.meta`:
  "num_params", and "_ops", which torchvision's documentation calls GFLOPS.
- "counted" comes from running torch's model here: its parameter count, and the
  multiply-accumulates (MACs) that `torch.utils.flop_counter.FlopCounterMode` sees on one
  224 x 224 image in eval mode. FlopCounterMode counts 2 FLOPs per multiply-accumulate, and
  only in matrix products and convolutions, so MACs = FLOPs / 2.

What `_ops` counts: the script checks, for every model, that the published `_ops` equals
counted MACs / 1e9 rounded to 3 decimals, and that the only operations FlopCounterMode
counts are convolutions and addmm (the linear layers' matrix products). So torchvision's
"GFLOPS" are in fact giga multiply-accumulates of convolutions and linear layers at batch
1; pooling, BatchNorm, ReLU, LRN, additions and concatenations count nothing.

googlenet is built as its published weights build it: aux_logits=False (6,624,904
parameters rather than 13,004,888) and transform_input=True. The two paper variants that
torchvision does not have, alexnet_paper and googlenet_paper, are rebuilt here in torch from
their papers (AlexNet: NIPS 2012, section 3.5 and Figure 2, as Caffe's bvlc_alexnet lays it
out; GoogLeNet: "Going Deeper with Convolutions", Table 1 and section 5); they have no
"published" entry.

torch and torchvision are needed by this script only, never by tinycnn or its tests. Run:

    /root/venvs/torchvision/bin/python tools/make_summary_reference.py
"""

import json
from pathlib import Path

import torch
import torchvision
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision.models import get_model, get_model_weights

OUTPUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "summary_reference.json"

TORCHVISION_BUILDERS = [
    "alexnet",
    "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn",
    "googlenet",
    "resnet18", "resnet34", "resnet50", "resnet101", "resnet152",
    "densenet121", "densenet161", "densenet169", "densenet201",
    "squeezenet1_0", "squeezenet1_1",
]  # fmt: skip

# Keyword arguments that make the model the one its published weights load into.
PUBLISHED_KWARGS = {"googlenet": {"aux_logits": False, "transform_input": True}}
COUNTED_OPS = {"aten.convolution", "aten.addmm"}  # what FlopCounterMode met in these models


def count(model, input_size):
    """(parameters, MACs by operation) of `model` on one image of `input_size`, eval mode."""
    model.eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        model(torch.zeros(1, *input_size))
    flops = {str(op): n for op, n in counter.get_flop_counts()["Global"].items()}
    unexpected = set(flops) - COUNTED_OPS
    if unexpected:
        raise RuntimeError(f"FlopCounterMode counted other operations too: {unexpected}")
    if any(n % 2 for n in flops.values()):
        raise RuntimeError(f"an odd FLOP count cannot be 2 per MAC: {flops}")
    macs_by_op = {op: n // 2 for op, n in sorted(flops.items())}
    return sum(p.numel() for p in model.parameters()), macs_by_op


def counted_entry(model, input_size):
    num_params, macs_by_op = count(model, input_size)
    return {"num_params": num_params, "macs": sum(macs_by_op.values()), "macs_by_op": macs_by_op}


def torchvision_entry(name):
    weights = get_model_weights(name).DEFAULT
    kwargs = PUBLISHED_KWARGS.get(name, {})
    model = get_model(name, weights=None, **kwargs)
    counted = counted_entry(model, (3, 224, 224))
    published = {
        "weights": str(weights),
        "num_params": weights.meta["num_params"],
        "gmacs": weights.meta["_ops"],
    }
    # The claim the module docstring makes about `_ops`, checked for every model.
    if round(counted["macs"] / 1e9, 3) != published["gmacs"]:
        raise RuntimeError(f"{name}: {counted['macs']} MACs do not round to {published}")
    if counted["num_params"] != published["num_params"]:
        raise RuntimeError(f"{name}: {counted['num_params']} parameters, published {published}")
    return {
        "name": name,
        "builder": name,
        "kwargs": kwargs,
        "input": [3, 224, 224],
        "published": published,
        "counted": counted,
    }


# ----------------------------------------------------------------- the paper variants
# Written from the papers, independently of tinycnn's code: they check that tinycnn's
# summary counts tinycnn's paper networks as torch counts the papers' networks.


def alexnet_paper():
    """AlexNet (NIPS 2012) on a 227 x 227 input: conv2, conv4, conv5 split in two towers."""
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.LocalResponseNorm(5, 5e-4, 0.75, 2.0),
        nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2, groups=2), nn.ReLU(),
        nn.LocalResponseNorm(5, 5e-4, 0.75, 2.0), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1, groups=2), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1, groups=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(256 * 6 * 6, 4096), nn.ReLU(), nn.Dropout(),
        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(),
        nn.Linear(4096, 1000),
    )  # fmt: skip


def conv_relu(c, oc, k, stride=1):
    return nn.Sequential(nn.Conv2d(c, oc, k, stride=stride, padding=k // 2), nn.ReLU())


class PaperInception(nn.Module):
    """Table 1's Inception block: 1x1 | 1x1 -> 3x3 | 1x1 -> 5x5 | 3x3 max pool -> 1x1."""

    def __init__(self, c, n1x1, n3x3red, n3x3, n5x5red, n5x5, pool_proj):
        super().__init__()
        self.branches = nn.ModuleList(
            [
                conv_relu(c, n1x1, 1),
                nn.Sequential(conv_relu(c, n3x3red, 1), conv_relu(n3x3red, n3x3, 3)),
                nn.Sequential(conv_relu(c, n5x5red, 1), conv_relu(n5x5red, n5x5, 5)),
                nn.Sequential(
                    nn.MaxPool2d(3, 1, padding=1, ceil_mode=True), conv_relu(c, pool_proj, 1)
                ),
            ]
        )

    def forward(self, x):
        return torch.cat([branch(x) for branch in self.branches], 1)


class PaperAux(nn.Module):
    """Section 5's auxiliary classifier: 5x5/3 average pool, 1x1 conv 128, fc 1024, fc."""

    def __init__(self, c):
        super().__init__()
        self.layers = nn.Sequential(
            nn.AvgPool2d(5, 3, ceil_mode=True), conv_relu(c, 128, 1), nn.Flatten(),
            nn.Linear(128 * 4 * 4, 1024), nn.ReLU(), nn.Dropout(0.7), nn.Linear(1024, 1000),
        )  # fmt: skip

    def forward(self, x):
        return self.layers(x)


class GoogLeNetPaper(nn.Module):
    """Table 1, with both auxiliary classifiers (which eval mode does not run)."""

    def __init__(self):
        super().__init__()
        table1 = {  # input, #1x1, #3x3 reduce, #3x3, #5x5 reduce, #5x5, pool proj
            "3a": (192, 64, 96, 128, 16, 32, 32),
            "3b": (256, 128, 128, 192, 32, 96, 64),
            "4a": (480, 192, 96, 208, 16, 48, 64),
            "4b": (512, 160, 112, 224, 24, 64, 64),
            "4c": (512, 128, 128, 256, 24, 64, 64),
            "4d": (512, 112, 144, 288, 32, 64, 64),
            "4e": (528, 256, 160, 320, 32, 128, 128),
            "5a": (832, 256, 160, 320, 32, 128, 128),
            "5b": (832, 384, 192, 384, 48, 128, 128),
        }
        pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.stem = nn.Sequential(
            conv_relu(3, 64, 7, stride=2), pool, nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0),
            conv_relu(64, 64, 1), conv_relu(64, 192, 3), nn.LocalResponseNorm(5, 1e-4, 0.75, 1.0),
            pool,
        )  # fmt: skip
        blocks = {name: PaperInception(*widths) for name, widths in table1.items()}
        self.stage3 = nn.Sequential(blocks["3a"], blocks["3b"], pool, blocks["4a"])
        self.stage4 = nn.Sequential(blocks["4b"], blocks["4c"], blocks["4d"])
        self.stage5 = nn.Sequential(blocks["4e"], pool, blocks["5a"], blocks["5b"])
        self.aux1, self.aux2 = PaperAux(512), PaperAux(528)
        self.head = nn.Sequential(
            nn.AvgPool2d(7, 1), nn.Flatten(), nn.Dropout(0.4), nn.Linear(1024, 1000)
        )

    def forward(self, x):
        x = self.stage3(self.stem(x))
        aux1 = self.aux1(x) if self.training else None
        x = self.stage4(x)
        aux2 = self.aux2(x) if self.training else None
        logits = self.head(self.stage5(x))
        return (logits, aux2, aux1) if self.training else logits


def paper_entry(name, model, input_size):
    return {
        "name": name,
        "builder": name,
        "kwargs": {},
        "input": list(input_size),
        "published": None,
        "counted": counted_entry(model, input_size),
    }


def main():
    entries = [torchvision_entry(name) for name in TORCHVISION_BUILDERS]
    entries.append(paper_entry("alexnet_paper", alexnet_paper(), (3, 227, 227)))
    entries.append(paper_entry("googlenet_paper", GoogLeNetPaper(), (3, 224, 224)))
    reference = {
        "generated_by": "tools/make_summary_reference.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "models": entries,
    }
    OUTPUT.write_text(json.dumps(reference, indent=1) + "\n")
    for entry in entries:
        counted, published = entry["counted"], entry["published"]
        line = (
            f"{entry['name']:16s} params {counted['num_params']:>12,}  MACs {counted['macs']:>15,}"
        )
        if published:
            line += f"  published: {published['num_params']:,} params, {published['gmacs']} G"
        print(line)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
