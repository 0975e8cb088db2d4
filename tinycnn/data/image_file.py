"""Decode one image file with Pillow, refusing files that would hang or exhaust memory.

Pillow is an optional dependency (`pip install 'tinycnn[image]'`), imported on first use.
Before anything is decoded:

- the path must be a regular file: a FIFO would block the read forever;
- the image must have at most `MAX_PIXELS` pixels. Pillow reads the width and height from
  the header without decoding, and a 69-byte PNG can claim 10 gigapixels (Pillow itself
  refuses above 2 x its own `MAX_IMAGE_PIXELS`, 179 megapixels, and warns above 89; both
  become a `DatasetError` here). Decoding an image of MAX_PIXELS takes 3 bytes a pixel
  (192 MB), and the float32 image made of it 12 (768 MB).
"""

import warnings

import numpy as np

from tinycnn.data import paths
from tinycnn.data.errors import DatasetError

MAX_PIXELS = 64_000_000  # 8000 x 8000; a 108-megapixel phone photo must be scaled down first


def import_pillow(op):
    """PIL.Image; ModuleNotFoundError saying how to install it if Pillow is missing."""
    try:
        from PIL import Image  # here, not at the top: Pillow is an optional dependency
    except ImportError:
        raise ModuleNotFoundError(
            f"{op}: decoding images needs Pillow, which is not installed; install it with "
            "pip install 'tinycnn[image]'"
        ) from None
    return Image


def decode_rgb(op, path):
    """The image file at `path` as an (H, W, 3) uint8 RGB array.

    Args:
        op: the name errors start with, e.g. "predict".
        path: a path to an image file Pillow reads (PNG, JPEG, ...).

    Raises:
        FileNotFoundError: no file at `path`.
        ModuleNotFoundError: Pillow is not installed.
        DatasetError (a ValueError): not a regular file, more than MAX_PIXELS pixels, or
            a file Pillow cannot decode; one line naming the file.
    """
    paths.regular_file(op, path)
    image_module = import_pillow(op)
    try:
        # NOTE: catch_warnings is not thread-safe; tinycnn's DataLoader decodes in one thread.
        with warnings.catch_warnings():
            warnings.simplefilter("error", image_module.DecompressionBombWarning)
            with image_module.open(path) as picture:
                W, H = picture.size
                if W * H > MAX_PIXELS:
                    raise DatasetError(
                        f"{op}: {path} claims {W} x {H} = {W * H:,} pixels, more than the "
                        f"{MAX_PIXELS:,} tinycnn decodes (scale it down first)"
                    )
                return np.asarray(picture.convert("RGB"))
    except (image_module.DecompressionBombError, image_module.DecompressionBombWarning) as error:
        raise DatasetError(f"{op}: {path} is refused as a decompression bomb: {error}") from None
    except OSError as error:  # Pillow's UnidentifiedImageError, truncated data
        raise DatasetError(f"{op}: {path} is not a readable image: {error}") from None
