"""AlexNet's PCA colour augmentation (Krizhevsky et al. 2012, section 4.1) and its helper."""

import numpy as np
import pytest

import tinycnn
from tinycnn.data.transforms import PCAColorJitter, color_pca

# An orthonormal basis of colour space and eigenvalues for it.
_VECTORS = np.linalg.qr(np.array([[1.0, 0.2, -0.3], [1.0, -0.5, 0.1], [1.0, 0.4, 0.6]]))[0]
_VALUES = np.array([0.04, 0.01, 0.0025])


def test_color_pca_of_colours_on_one_line_is_that_line():
    # Colours (0.2, 0.4, 0.6) + t (1, 2, 2) / 3: one direction, variance var(t).
    t = np.linspace(-1.0, 1.0, 12)
    direction = np.array([1.0, 2.0, 2.0]) / 3.0
    colours = np.array([0.2, 0.4, 0.6])[:, None] + direction[:, None] * t[None, :]
    images = [colours[:, :6].reshape(3, 2, 3), colours[:, 6:].reshape(3, 3, 2)]  # two sizes
    eigenvalues, eigenvectors = color_pca(images)
    np.testing.assert_allclose(eigenvalues, [np.var(t, ddof=1), 0.0, 0.0], atol=1e-12)
    assert abs(eigenvectors[:, 0] @ direction) == pytest.approx(1.0)


def test_color_pca_recovers_a_known_covariance():
    covariance = _VECTORS @ np.diag(_VALUES) @ _VECTORS.T
    pixels = np.random.default_rng(0).multivariate_normal([0.5] * 3, covariance, size=40_000)
    images = pixels.T.reshape(3, 100, 20, 20).transpose(1, 0, 2, 3)  # (N, C, H, W)
    eigenvalues, eigenvectors = color_pca(images)
    np.testing.assert_allclose(eigenvalues, _VALUES, rtol=0.05)
    np.testing.assert_allclose(np.abs(np.sum(eigenvectors * _VECTORS, axis=0)), 1.0, atol=0.01)


def test_jitter_adds_one_shift_per_image_with_the_paper_statistics():
    # shift = sum_i alpha_i lambda_i p_i with alpha_i ~ N(0, 0.1): projected on p_i and
    # divided by lambda_i it gives back alpha_i.
    image = np.full((3, 4, 5), 0.5, np.float64)
    jitter = PCAColorJitter(_VALUES, _VECTORS, std=0.1)
    tinycnn.manual_seed(0)
    shifts = []
    for _ in range(4000):
        out = jitter(image)
        assert np.all(out == out[:, :1, :1])  # every pixel moved by the same colour
        shifts.append(out[:, 0, 0] - 0.5)
    alphas = (np.array(shifts) @ _VECTORS) / _VALUES
    np.testing.assert_allclose(alphas.mean(axis=0), 0.0, atol=4 * 0.1 / np.sqrt(4000))
    np.testing.assert_allclose(alphas.std(axis=0), 0.1, rtol=0.05)
    np.testing.assert_allclose(np.corrcoef(alphas.T), np.eye(3), atol=0.07)


def test_jitter_is_reproducible_and_keeps_float32():
    image = np.random.default_rng(1).random((3, 6, 6)).astype(np.float32)
    jitter = PCAColorJitter(_VALUES, _VECTORS)
    tinycnn.manual_seed(5)
    first = jitter(image)
    tinycnn.manual_seed(5)
    assert first.dtype == np.float32 and np.array_equal(first, jitter(image))
    assert not np.array_equal(first, jitter(image))


def test_jitter_refuses_mismatched_shapes():
    with pytest.raises(ValueError, match=r"pca_color_jitter: eigenvalues \(C,\) and eigenvectors"):
        PCAColorJitter(_VALUES, np.eye(2))
    with pytest.raises(ValueError, match=r"pca_color_jitter: image must be \(C, H, W\) with C=3"):
        PCAColorJitter(_VALUES, _VECTORS)(np.zeros((1, 4, 4), np.float32))
    with pytest.raises(ValueError, match=r"color_pca: images must be \(C, H, W\) with one C"):
        color_pca([np.zeros((3, 2, 2)), np.zeros((1, 2, 2))])
