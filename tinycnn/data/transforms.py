"""Image transforms with torchvision's names and semantics, on (C, H, W) float ndarrays.

tinycnn has no image type of its own: the datasets hand each image to its transform as a
(C, H, W) float32 ndarray in [0, 1] (what torchvision's `ToTensor` makes), and the
DataLoader stacks the results into Tensors. So a torchvision pipeline

    transforms.Compose([transforms.ToTensor(), transforms.RandomCrop(32, padding=4), ...])

becomes the same list without `ToTensor`. Geometric transforms (`Resize`, `CenterCrop`,
`RandomCrop`, `RandomHorizontalFlip`) act on the last two axes of any (..., H, W) array.

Every random draw comes from `tinycnn.rng.generator()`, so `tinycnn.manual_seed` makes
augmentation reproducible.
"""

import numbers

import numpy as np

from tinycnn import rng
from tinycnn.data import checks
from tinycnn.data.pca_color import PCAColorJitter, color_pca
from tinycnn.data.resample import resize_bilinear

__all__ = [
    "CenterCrop",
    "Compose",
    "Normalize",
    "PCAColorJitter",
    "RandomCrop",
    "RandomHorizontalFlip",
    "Resize",
    "ToTensor",
    "color_pca",
    "to_tensor",
]

_PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


class Compose:
    """Apply transforms one after the other.

    Example:
        >>> augment = Compose([RandomCrop(32, padding=4), RandomHorizontalFlip()])
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for transform in self.transforms:
            if not callable(transform):
                raise TypeError(
                    f"compose: each transform must be callable, got {type(transform).__name__}"
                )

    def __call__(self, image):
        for transform in self.transforms:
            image = transform(image)
        return image

    def __repr__(self):
        lines = "".join(
            "\n    " + repr(transform).replace("\n", "\n    ") for transform in self.transforms
        )
        return f"Compose({lines}\n)"


def to_tensor(picture):
    """An (H, W, C) or (H, W) image as a (C, H, W) array; uint8 [0, 255] -> float32 [0, 1].

    As torchvision's `to_tensor`: a uint8 image is divided by 255; any other dtype is only
    moved to channels-first, its values and dtype unchanged.

    Args:
        picture: an ndarray (H, W, C) or (H, W), or anything `np.asarray` turns into one
            (a PIL image).

    NOTE: returns an ndarray, not a `tinycnn.Tensor`; the DataLoader makes the Tensors.
    """
    array = np.asarray(picture)
    if array.ndim == 2:
        array = array[:, :, None]
    if array.ndim != 3:
        raise ValueError(f"to_tensor: image must be (H, W, C) or (H, W), got shape {array.shape}")
    array = array.transpose(2, 0, 1)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / np.float32(255)
    return array


class ToTensor:
    """Convert an (H, W, C) uint8 image in [0, 255] to (C, H, W) float32 in [0, 1].

    See `to_tensor`. The datasets already do this; use it for images of your own.
    """

    def __call__(self, picture):
        return to_tensor(picture)

    def __repr__(self):
        return "ToTensor()"


class Normalize:
    """Per channel: output[c] = (input[c] - mean[c]) / std[c].

    Args:
        mean: one number per channel (or one number for all).
        std: one nonzero number per channel (or one number for all).

    Shape:
        - Input: (C, H, W) float.
        - Output: (C, H, W), same dtype.

    Example:
        >>> Normalize(mean=(0.4914, 0.4822, 0.4465), std=(0.2470, 0.2435, 0.2616))
    """

    def __init__(self, mean, std):
        self.mean = _channel_values("normalize", "mean", mean)
        self.std = _channel_values("normalize", "std", std)
        if np.any(self.std == 0):
            raise ValueError(f"normalize: std must be nonzero, got {tuple(self.std.tolist())}")

    def __call__(self, image):
        image = checks.float_image("normalize", image)
        C = image.shape[-3] if image.ndim >= 3 else None
        for name, values in (("mean", self.mean), ("std", self.std)):
            if C is None or values.size not in (1, C):
                raise ValueError(
                    f"normalize: {name} must have 1 or C values for an image (C, H, W), "
                    f"got {values.size} values for shape {image.shape}"
                )
        mean = self.mean.astype(image.dtype)[:, None, None]
        std = self.std.astype(image.dtype)[:, None, None]
        return (image - mean) / std

    def __repr__(self):
        return f"Normalize(mean={tuple(self.mean.tolist())}, std={tuple(self.std.tolist())})"


def _channel_values(op, name, values):
    array = np.atleast_1d(np.asarray(values))
    if array.ndim != 1 or array.size == 0 or not np.issubdtype(array.dtype, np.number):
        raise TypeError(f"{op}: {name} must be a number or a sequence of numbers, got {values!r}")
    return array.astype(np.float64)


class Resize:
    """Resize with bilinear interpolation, as torchvision's `Resize`.

    Half-pixel centres (align_corners=False), the convention of torchvision and PIL; see
    `tinycnn.data.resample` for the weights.

    Args:
        size: (h, w) for an exact output size; or an int (or a 1-sequence) s, to scale the
            shorter side to s and the longer side to int(s * long / short), keeping the
            aspect ratio (torchvision's rule, truncating).
        antialias: when shrinking, widen the bilinear filter by the shrink factor so every
            input pixel contributes and fine detail does not alias (torchvision's and PIL's
            antialiased bilinear). When enlarging it changes nothing. Default: True, as in
            torchvision >= 0.17.

    Shape:
        - Input: (..., H, W) float.
        - Output: (..., OH, OW), same dtype.

    Example:
        >>> Resize(32)(np.zeros((1, 8, 16), np.float32)).shape
        (1, 32, 64)
    """

    def __init__(self, size, antialias=True):
        if checks.is_int(size) or (isinstance(size, (tuple, list)) and len(size) == 1):
            self.size = checks.size_pair("resize", "size", size)[0]
        else:
            self.size = checks.size_pair("resize", "size", size)
        self.antialias = checks.boolean("resize", "antialias", antialias)

    def __call__(self, image):
        image = checks.float_image("resize", image)
        return resize_bilinear(image, *self.output_size(image.shape[-2:]), self.antialias)

    def output_size(self, input_size):
        """(OH, OW) for an input of size (H, W)."""
        if isinstance(self.size, tuple):
            return self.size
        H, W = input_size
        short, long = min(H, W), max(H, W)
        new_long = int(self.size * long / short)
        return (self.size, new_long) if H <= W else (new_long, self.size)

    def __repr__(self):
        return f"Resize(size={self.size}, antialias={self.antialias})"


class CenterCrop:
    """Crop the centre of the image, as torchvision's `CenterCrop`.

    The crop starts at row round((H - h) / 2) and column round((W - w) / 2) (Python's
    round, halves to even, as torchvision). An image smaller than the crop is first padded
    with zeros, as torchvision does.

    Args:
        size: int (a square) or (h, w).

    Shape:
        - Input: (..., H, W).
        - Output: (..., h, w).
    """

    def __init__(self, size):
        self.size = checks.size_pair("center_crop", "size", size)

    def __call__(self, image):
        image = checks.image("center_crop", image)
        h, w = self.size
        H, W = image.shape[-2:]
        if h > H or w > W:
            pad_h, pad_w = max(h - H, 0), max(w - W, 0)
            borders = (pad_w // 2, pad_h // 2, (pad_w + 1) // 2, (pad_h + 1) // 2)
            image = _pad(image, borders, 0, "constant")
            H, W = image.shape[-2:]
        top, left = round((H - h) / 2), round((W - w) / 2)
        return image[..., top : top + h, left : left + w]

    def __repr__(self):
        return f"CenterCrop(size={self.size})"


class RandomCrop:
    """Crop a random (h, w) window, optionally after padding, as torchvision's `RandomCrop`.

    The window's top-left corner is drawn uniformly from every position where it fits
    (no draw when the image already has the crop's size).

    Args:
        size: int (a square) or (h, w).
        padding: borders added first: an int for all four, (left/right, top/bottom), or
            (left, top, right, bottom). Default: None (no padding).
        pad_if_needed: pad an image smaller than the crop so that it fits (each side of a
            short axis gets the whole shortfall, as torchvision). Default: False.
        fill: the value of constant padding. Default: 0.
        padding_mode: "constant", "edge", "reflect" or "symmetric" (numpy.pad's and
            torchvision's modes). Default: "constant".

    Shape:
        - Input: (..., H, W).
        - Output: (..., h, w).

    Example:
        >>> crop = RandomCrop(32, padding=4)     # the CIFAR-10 augmentation of ResNet
    """

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = checks.size_pair("random_crop", "size", size)
        self.padding = None if padding is None else _borders(padding)
        self.pad_if_needed = checks.boolean("random_crop", "pad_if_needed", pad_if_needed)
        if isinstance(fill, bool) or not isinstance(fill, numbers.Real):
            raise TypeError(f"random_crop: fill must be a number, got {fill!r}")
        self.fill = fill
        if padding_mode not in _PADDING_MODES:
            raise ValueError(
                f"random_crop: padding_mode must be one of {_PADDING_MODES}, got {padding_mode!r}"
            )
        self.padding_mode = padding_mode

    def __call__(self, image):
        image = checks.image("random_crop", image)
        if self.padding is not None:
            image = _pad(image, self.padding, self.fill, self.padding_mode)
        h, w = self.size
        H, W = image.shape[-2:]
        if self.pad_if_needed and (H < h or W < w):
            pad_h, pad_w = max(h - H, 0), max(w - W, 0)
            image = _pad(image, (pad_w, pad_h, pad_w, pad_h), self.fill, self.padding_mode)
            H, W = image.shape[-2:]
        if H < h or W < w:
            raise ValueError(
                f"random_crop: crop size (h, w) = {(h, w)} must fit in the (padded) image "
                f"(H, W) = {(H, W)}"
            )
        if (H, W) == (h, w):
            return image
        top = int(rng.generator().integers(0, H - h + 1))
        left = int(rng.generator().integers(0, W - w + 1))
        return image[..., top : top + h, left : left + w]

    def __repr__(self):
        return f"RandomCrop(size={self.size}, padding={self.padding})"


def _borders(padding):
    """torchvision's padding argument as (left, top, right, bottom)."""
    if checks.is_int(padding):
        padding = (padding,)
    if not (
        isinstance(padding, (tuple, list))
        and len(padding) in (1, 2, 4)
        and all(map(checks.is_int, padding))
    ):
        raise TypeError(
            f"random_crop: padding must be an int or a sequence of 1, 2 or 4 ints, got {padding!r}"
        )
    if min(padding) < 0:
        raise ValueError(f"random_crop: padding must be >= 0, got {padding}")
    if len(padding) == 1:
        return (int(padding[0]),) * 4
    if len(padding) == 2:
        return (int(padding[0]), int(padding[1])) * 2
    return tuple(int(p) for p in padding)


def _pad(image, borders, fill, mode):
    left, top, right, bottom = borders
    widths = [(0, 0)] * (image.ndim - 2) + [(top, bottom), (left, right)]
    if mode == "constant":
        return np.pad(image, widths, mode="constant", constant_values=fill)
    return np.pad(image, widths, mode=mode)


class RandomHorizontalFlip:
    """Mirror the image left-right with probability p, as torchvision's.

    Args:
        p: probability of flipping. Default: 0.5.

    Shape:
        - Input: (..., H, W).
        - Output: (..., H, W).
    """

    def __init__(self, p=0.5):
        self.p = checks.number_in("random_horizontal_flip", "p", p, 0.0, 1.0)

    def __call__(self, image):
        image = checks.image("random_horizontal_flip", image)
        if rng.generator().random() < self.p:
            return image[..., ::-1].copy()
        return image

    def __repr__(self):
        return f"RandomHorizontalFlip(p={self.p})"
