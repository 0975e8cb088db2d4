"""Write tinycnn/io/imagenet_classes.txt: the names of the 1,000 ImageNet classes.

One name a line, line i for class index i, as torchvision lists them in the metadata of its
ImageNet weights (the names `tinycnn predict` prints). torchvision is needed by this script
only. Run:

    /root/venvs/torchvision/bin/python tools/make_imagenet_classes.py
"""

from pathlib import Path

from torchvision.models import ResNet18_Weights

OUTPUT = Path(__file__).resolve().parent.parent / "tinycnn" / "io" / "imagenet_classes.txt"


def main():
    names = ResNet18_Weights.IMAGENET1K_V1.meta["categories"]
    if len(names) != 1000 or any("\n" in name or not name for name in names):
        raise SystemExit(f"expected 1000 one-line names, got {len(names)}")
    OUTPUT.write_text("".join(name + "\n" for name in names), encoding="utf-8")
    print(f"wrote {len(names)} class names to {OUTPUT}")


if __name__ == "__main__":
    main()
