"""AlexNet's colour augmentation: shift every pixel along the principal components of RGB.

Krizhevsky, Sutskever & Hinton, "ImageNet Classification with Deep Convolutional Neural
Networks", NIPS 2012, section 4.1 ("altering the intensities of the RGB channels").
"""

import numpy as np

from tinycnn import rng
from tinycnn.data import checks


def color_pca(images):
    """Eigen-decomposition of the covariance of pixel colours over a sample of images.

    Every pixel of every image is one observation of a C-vector (its colour); this returns
    the eigenvalues and eigenvectors of the C x C covariance of those observations, the
    `lambda_i` and `p_i` of Krizhevsky et al. 2012, section 4.1. Compute it on images in
    the scale the transform will see (e.g. [0, 1] floats, before `Normalize`): the
    eigenvalues are in squared pixel units.

    Args:
        images: an ndarray (N, C, H, W) or a sequence of (C, H, W) ndarrays (sizes may
            differ, C may not), e.g. a few hundred training images.

    Returns:
        (eigenvalues, eigenvectors): float64 arrays (C,) in decreasing order and (C, C)
        whose column i is the unit eigenvector of eigenvalue i.

    Example:
        >>> sample = np.stack([train[i][0] for i in range(500)])
        >>> eigenvalues, eigenvectors = color_pca(sample)
        >>> jitter = PCAColorJitter(eigenvalues, eigenvectors)
    """
    colors = [checks.image("color_pca", np.asarray(image)) for image in images]
    if not colors:
        raise ValueError("color_pca: images must hold at least one image, got none")
    channels = {image.shape[0] for image in colors}
    if len(channels) != 1 or any(image.ndim != 3 for image in colors):
        shapes = sorted({image.shape for image in colors})
        raise ValueError(f"color_pca: images must be (C, H, W) with one C, got shapes {shapes}")
    pixels = np.concatenate([image.reshape(image.shape[0], -1) for image in colors], axis=1)
    if pixels.shape[1] < 2:
        raise ValueError(f"color_pca: images must hold >= 2 pixels, got {pixels.shape[1]}")
    covariance = np.atleast_2d(np.cov(pixels.astype(np.float64)))
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)  # ascending
    return eigenvalues[::-1].copy(), eigenvectors[:, ::-1].copy()


class PCAColorJitter:
    """Add a random multiple of each colour principal component to every pixel.

    Krizhevsky et al. 2012, section 4.1: to each image add

        [p_1, p_2, p_3] [alpha_1 lambda_1, alpha_2 lambda_2, alpha_3 lambda_3]^T

    where p_i and lambda_i are the eigenvectors and eigenvalues of the 3 x 3 covariance
    of RGB pixel values over the training set (see `color_pca`), and alpha_i ~ N(0, std)
    is drawn once per image (the same shift for all its pixels) and anew each time the
    image is used. The shift changes the intensity and colour of the illumination but not
    the object; the paper reports it cut top-1 error by over 1%.

    The alphas are drawn from `tinycnn.rng.generator()` (seed with `tinycnn.manual_seed`).

    NOTE: as in the paper, the shift is proportional to the eigenvalues themselves (squared
    pixel units); some public implementations scale by their square roots instead.

    Args:
        eigenvalues: (C,) the lambda_i.
        eigenvectors: (C, C), column i the unit eigenvector p_i.
        std: standard deviation of each alpha_i. Default: 0.1 (the paper's).

    Shape:
        - Input: (C, H, W) float.
        - Output: (C, H, W), same dtype.

    Example:
        >>> jitter = PCAColorJitter(*color_pca(sample))
        >>> shifted = jitter(image)          # image + one colour shift for all pixels
    """

    def __init__(self, eigenvalues, eigenvectors, std=0.1):
        eigenvalues = np.asarray(eigenvalues, dtype=np.float64)
        eigenvectors = np.asarray(eigenvectors, dtype=np.float64)
        C = eigenvalues.size
        if eigenvalues.ndim != 1 or eigenvectors.shape != (C, C):
            raise ValueError(
                "pca_color_jitter: eigenvalues (C,) and eigenvectors (C, C) must match, "
                f"got shapes {eigenvalues.shape} and {eigenvectors.shape}"
            )
        self.eigenvalues = eigenvalues
        self.eigenvectors = eigenvectors
        self.std = checks.number_in("pca_color_jitter", "std", std, 0.0, np.inf)

    def __call__(self, image):
        image = checks.float_image("pca_color_jitter", image)
        C = self.eigenvalues.size
        if image.ndim != 3 or image.shape[0] != C:
            raise ValueError(
                f"pca_color_jitter: image must be (C, H, W) with C={C}, got shape {image.shape}"
            )
        alpha = rng.generator().normal(0.0, self.std, size=C)
        shift = self.eigenvectors @ (alpha * self.eigenvalues)
        return image + shift.astype(image.dtype)[:, None, None]

    def __repr__(self):
        return f"PCAColorJitter(eigenvalues={np.round(self.eigenvalues, 6)}, std={self.std})"
