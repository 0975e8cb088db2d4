"""`tinycnn predict`: classify images with an ImageNet model and its weights file.

    tinycnn predict cat.jpg dog.png --model resnet18 --weights resnet18-f37072fd.pth
    tinycnn predict x.png --model resnet18 --weights run/checkpoint.npz --num-classes 10 \
        --classes names.txt

Each image goes through the evaluation preprocessing of torchvision's ImageNet weights
(`preprocess`), the model gives one logit per ImageNet class, and the top k classes are
printed with their softmax probabilities:

    cat.jpg
      0.8163  281 tabby
      0.1032  282 tiger cat
      ...
"""

import os
import sys

import numpy as np

import tinycnn.nn.functional as F
from tinycnn import models
from tinycnn.commands.errors import one_line_error
from tinycnn.data import paths, transforms
from tinycnn.data.errors import DatasetError
from tinycnn.data.image_file import decode_rgb
from tinycnn.io import npz
from tinycnn.io.imagenet_classes import imagenet_classes
from tinycnn.tensor import Tensor, no_grad

# The statistics of the ImageNet training images, per RGB channel, that every torchvision
# ImageNet model was trained to expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
MAX_CLASSES_FILE_BYTES = 2**20  # ImageNet's 1,000 names take 21 KB
_EVALUATION_TRANSFORM = transforms.Compose(
    [
        transforms.Resize(256),  # the shorter side to 256, keeping the aspect ratio
        transforms.CenterCrop(224),
        transforms.Normalize(IMAGENET_MEAN, IMAGENET_STD),
    ]
)


def preprocess(image):
    """torchvision's ImageNet evaluation transform.

    Shape:
        - Input: (3, H, W) float image in [0, 1].
        - Output: (3, 224, 224), the shorter side resized to 256 (bilinear, antialiased),
          the centre cropped, each channel normalized with ImageNet's mean and std.
    """
    return _EVALUATION_TRANSFORM(image)


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "predict",
        help="classify images with an ImageNet model and a weights file (top-k classes)",
        description="Classify images with an ImageNet model: resize the shorter side to "
        "256, crop the centre 224 x 224, normalize with ImageNet's mean and std, and "
        "print the top-k classes with their probabilities.",
    )
    parser.add_argument(
        "images",
        nargs="+",
        metavar="IMAGE",
        help="image files (read with Pillow: pip install 'tinycnn[image]'), or .npy arrays "
        "holding an (H, W, 3) or (H, W) uint8 image or a (3, H, W) float image in [0, 1]",
    )
    parser.add_argument(
        "--model", required=True, metavar="NAME", help="a builder of tinycnn.models, e.g. resnet18"
    )
    parser.add_argument(
        "--weights",
        required=True,
        metavar="FILE",
        help="its weights: .pth/.pt (as torchvision publishes them), .npz (a tinycnn train "
        "checkpoint too) or .safetensors",
    )
    parser.add_argument("--topk", type=int, default=5, help="classes to show (default 5)")
    parser.add_argument(
        "--num-classes",
        type=int,
        default=len(imagenet_classes()),
        metavar="N",
        help="the classes the model was trained for (default 1000, ImageNet's)",
    )
    parser.add_argument(
        "--classes",
        metavar="FILE",
        help="a text file naming the classes, one a line, line i for class i (default: "
        "ImageNet's names with 1000 classes, the class numbers otherwise)",
    )
    return parser


def run(args):
    try:
        names = class_names(args.num_classes, args.classes)
        if not 1 <= args.topk <= len(names):
            raise ValueError(f"predict: --topk must be in [1, {len(names)}], got {args.topk}")
        inputs = [preprocess(read_image(path)) for path in args.images]
        model = models.get_model(
            args.model, num_classes=args.num_classes, weights=args.weights
        ).eval()
    # the user's doing: a missing or unreadable file, weights that do not fit the model, an
    # image or model too large for this machine's memory
    except (OSError, ImportError, ValueError, TypeError, RuntimeError, MemoryError) as error:
        print(one_line_error("predict", error), file=sys.stderr)
        return 1
    for path, image in zip(args.images, inputs, strict=True):
        print(path)
        for index, probability in top_classes(model, image, args.topk):
            print(f"  {probability:.4f}  {index:3d} {names[index]}")
    return 0


def class_names(num_classes, path=None):
    """The names of the model's classes: from the file at `path` (one a line), else
    ImageNet's for 1000 classes, else the class numbers as strings.

    Raises:
        ValueError: num_classes < 1, or a file whose line count is not num_classes.
    """
    if num_classes < 1:
        raise ValueError(f"predict: --num-classes must be >= 1, got {num_classes}")
    if path is None:
        if num_classes == len(imagenet_classes()):
            return imagenet_classes()
        return tuple(str(index) for index in range(num_classes))
    paths.regular_file("predict", path)
    if os.path.getsize(path) > MAX_CLASSES_FILE_BYTES:
        raise DatasetError(
            f"predict: --classes {path} holds {os.path.getsize(path):,} bytes, more than the "
            f"{MAX_CLASSES_FILE_BYTES:,} a list of class names needs"
        )
    with open(path, encoding="utf-8") as file:
        names = tuple(file.read().splitlines())
    if len(names) != num_classes:
        raise ValueError(
            f"predict: --classes {path} must name the {num_classes} classes of "
            f"--num-classes, one a line, got {len(names)} lines"
        )
    return names


def top_classes(model, image, k):
    """The k most probable classes of one preprocessed image, most probable first.

    Args:
        model: a classifier in eval mode.
        image: a (3, 224, 224) float32 array, e.g. from `preprocess`.
        k: how many classes.

    Returns:
        A list of k (class index, softmax probability) pairs.
    """
    with no_grad():
        logits = model(Tensor(image[None]))  # 1 x num_classes
        log_probabilities = F.log_softmax(logits, dim=1).numpy()[0]
    best = np.argsort(-log_probabilities, kind="stable")[:k]
    return [(int(index), float(np.exp(log_probabilities[index]))) for index in best]


def read_image(path):
    """The image in `path` as a (3, H, W) float32 array in [0, 1].

    A `.npy` file holds an (H, W, 3) or (H, W) uint8 image (what `np.asarray` makes of a
    Pillow image) or a (3, H, W) float image in [0, 1] (what tinycnn's datasets hand out);
    any other file is decoded by Pillow and converted to RGB.
    """
    if str(path).lower().endswith(".npy"):
        return _npy_image(path)
    return transforms.to_tensor(decode_rgb("predict", path))


def _npy_image(path):
    paths.regular_file("predict", path)
    with open(path, "rb") as file:
        array = npz.read_npy(file, str(path))
    if array.dtype == np.uint8 and array.ndim in (2, 3) and array.shape[2:] in ((), (3,)):
        image = transforms.to_tensor(array)  # C x H x W, C = 1 or 3
        return np.repeat(image, 3 // image.shape[0], axis=0)  # grey -> RGB, as Pillow does
    if array.dtype.kind == "f" and array.ndim == 3 and array.shape[0] == 3:
        return array.astype(np.float32)
    raise ValueError(
        f"predict: {path} must hold an (H, W, 3) or (H, W) uint8 image or a (3, H, W) float "
        f"image, got shape {array.shape} of dtype {array.dtype}"
    )
