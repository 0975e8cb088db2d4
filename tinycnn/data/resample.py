"""Bilinear resampling of images, written as two small matrix products.

Resizing an (H, W) image to (OH, OW) is separable: each output row mixes input rows with
weights that depend only on H and OH, and each output column mixes input columns the same
way. So with an (OH, H) weight matrix A for the rows and an (OW, W) matrix B for the
columns,

    output = A @ image @ B.T          # (OH, H) @ (H, W) @ (W, OW) -> (OH, OW)

and leading axes (channels, a batch) ride along in numpy's batched matmul.

Half-pixel centres (align_corners=False): output pixel i covers input coordinates
[i * scale, (i + 1) * scale) with scale = in_size / out_size, so its centre sits at

    center = (i + 0.5) * scale

in the input's continuous coordinates, where input pixel p has its centre at p + 0.5.
Output pixel i takes a weighted mean of the input pixels near `center` under a triangle
("tent") filter of half-width `support`:

    weight(p) = max(0, 1 - |p + 0.5 - center| / support),   normalized to sum to 1

With support = 1 that is plain bilinear interpolation between the two input pixels whose
centres bracket `center`; at the borders, where `center` falls outside the outermost
pixel centres, the normalization gives the border pixel's value (torch clamps the same).

Antialiasing. When shrinking (scale > 1) two taps skip the pixels between them, so fine
detail aliases (a 1-pixel stripe pattern can turn into a solid colour or moire).
`antialias=True` widens the tent to support = scale, so every input pixel under the output
pixel contributes: this is PIL's and torchvision's antialiased bilinear filter. When
enlarging (scale <= 1) antialiasing changes nothing: support stays 1 either way.
"""

import numpy as np


def bilinear_weights(in_size, out_size, antialias):
    """The (out_size, in_size) matrix mapping input samples to output samples on one axis.

    Args:
        in_size: number of input pixels on the axis.
        out_size: number of output pixels on the axis.
        antialias: widen the filter by the shrink factor when shrinking.

    Example:
        >>> bilinear_weights(2, 4, antialias=False)     # each row sums to 1
        array([[1.  , 0.  ],
               [0.75, 0.25],
               [0.25, 0.75],
               [0.  , 1.  ]])
    """
    scale = in_size / out_size
    support = scale if antialias and scale > 1 else 1.0
    centers = (np.arange(out_size) + 0.5) * scale
    pixel_centers = np.arange(in_size) + 0.5
    distance = np.abs(pixel_centers[None, :] - centers[:, None]) / support
    weights = np.maximum(0.0, 1.0 - distance)
    return weights / weights.sum(axis=1, keepdims=True)


def resize_bilinear(image, out_height, out_width, antialias=True):
    """Resample the last two axes of `image` (..., H, W) to (..., out_height, out_width).

    The result has the image's floating dtype; float32 in, float32 out.
    """
    H, W = image.shape[-2:]
    rows = bilinear_weights(H, out_height, antialias).astype(image.dtype)
    columns = bilinear_weights(W, out_width, antialias).astype(image.dtype)
    return rows @ image @ columns.T
