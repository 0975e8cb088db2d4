"""A solution of exercise conv2d_backward: the textbook kernels' dx and dw, and db."""

from tinycnn.kernels.textbook import conv2d_backward_input, conv2d_backward_weight


def conv2d_backward_bias(dy):
    """b[oc] is added to every output pixel of channel oc: db[oc] = sum of dy[:, oc].

    Shape:
        dy: (N, OC, OH, OW); db: (OC,).
    """
    return dy.sum(axis=(0, 2, 3))


__all__ = ["conv2d_backward_bias", "conv2d_backward_input", "conv2d_backward_weight"]
