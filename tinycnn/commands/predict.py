"""`tinycnn predict`: classify images with an ImageNet model and its weights file.

    tinycnn predict cat.jpg dog.png --model resnet18 --weights resnet18-f37072fd.pth

Each image goes through the evaluation preprocessing of torchvision's ImageNet weights
(`preprocess`), the model gives one logit per ImageNet class, and the top k classes are
printed with their softmax probabilities:

    cat.jpg
      0.8163  281 tabby
      0.1032  282 tiger cat
      ...
"""

import sys

import numpy as np

import tinycnn.nn.functional as F
from tinycnn import models
from tinycnn.data import transforms
from tinycnn.io.imagenet_classes import imagenet_classes
from tinycnn.tensor import Tensor, no_grad

# The statistics of the ImageNet training images, per RGB channel, that every torchvision
# ImageNet model was trained to expect.
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
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
        help="its weights: .pth/.pt (as torchvision publishes them), .npz or .safetensors",
    )
    parser.add_argument("--topk", type=int, default=5, help="classes to show (default 5)")
    return parser


def run(args):
    names = imagenet_classes()
    try:
        if not 1 <= args.topk <= len(names):
            raise ValueError(f"predict: --topk must be in [1, {len(names)}], got {args.topk}")
        inputs = [preprocess(read_image(path)) for path in args.images]
        model = models.get_model(args.model, weights=args.weights).eval()
    except (OSError, ImportError, ValueError, TypeError, RuntimeError) as error:
        # the user's doing: a missing or unreadable file, weights that do not fit the model
        print(f"tinycnn predict: {error}", file=sys.stderr)
        return 1
    for path, image in zip(args.images, inputs, strict=True):
        print(path)
        for index, probability in top_classes(model, image, args.topk):
            print(f"  {probability:.4f}  {index:3d} {names[index]}")
    return 0


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
    return transforms.to_tensor(_decode(path))


def _npy_image(path):
    array = np.load(path, allow_pickle=False)
    if array.dtype == np.uint8 and array.ndim in (2, 3) and array.shape[2:] in ((), (3,)):
        image = transforms.to_tensor(array)  # C x H x W, C = 1 or 3
        return np.repeat(image, 3 // image.shape[0], axis=0)  # grey -> RGB, as Pillow does
    if array.dtype.kind == "f" and array.ndim == 3 and array.shape[0] == 3:
        return array.astype(np.float32)
    raise ValueError(
        f"predict: {path} must hold an (H, W, 3) or (H, W) uint8 image or a (3, H, W) float "
        f"image, got shape {array.shape} of dtype {array.dtype}"
    )


def _decode(path):
    """The image file at `path` as an (H, W, 3) uint8 RGB array, decoded by Pillow."""
    try:
        from PIL import Image  # imported here: Pillow is an optional dependency
    except ImportError:
        raise ModuleNotFoundError(
            f"predict: reading {path} needs Pillow, which is not installed; install it with "
            "pip install 'tinycnn[image]', or pass the image as a .npy array"
        ) from None
    try:
        with Image.open(path) as picture:
            return np.asarray(picture.convert("RGB"))
    except OSError as error:  # a missing file, Pillow's UnidentifiedImageError, truncation
        raise ValueError(f"predict: {path} is not a readable image: {error}") from None
