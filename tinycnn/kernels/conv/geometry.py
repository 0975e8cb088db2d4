"""The sizes of one convolution layer, worked out once and handed to every algorithm."""

from dataclasses import dataclass

from numba import njit


@njit(cache=True)
def conv_output_size(size, kernel, stride, padding, dilation):
    """Number of positions a dilated, strided kernel takes along one padded axis.

    Args:
        size: input length (H or W).
        kernel: kernel length (KH or KW).
        stride, padding, dilation: S, P and D along this axis.

    Returns:
        ``floor((size + 2*P - D*(K - 1) - 1) / S) + 1``, as in PyTorch. The window spans
        ``D*(K - 1) + 1`` pixels and must fit inside the ``size + 2*P`` padded pixels.

    Example:
        >>> conv_output_size(224, 11, 4, 2, 1)  # AlexNet's first layer
        55
    """
    return (size + 2 * padding - dilation * (kernel - 1) - 1) // stride + 1


@dataclass(frozen=True)
class ConvGeometry:
    """Everything about a convolution but its batch size N, in the paper's symbols.

    x is (N, C, H, W), w is (OC, C/G, KH, KW) and y is (N, OC, OH, OW); (SH, SW), (PH, PW)
    and (DH, DW) are the stride, padding and dilation; G the groups. Build it with `of`.

    Example:
        >>> g = ConvGeometry.of((8, 3, 224, 224), (64, 3, 11, 11), (4, 4), (2, 2), (1, 1), 1)
        >>> g.OH, g.OW, g.K  # AlexNet's first layer: 55 x 55 outputs, 363 rows of columns
        (55, 55, 363)
    """

    C: int
    H: int
    W: int
    OC: int
    KH: int
    KW: int
    SH: int
    SW: int
    PH: int
    PW: int
    DH: int
    DW: int
    G: int
    OH: int
    OW: int

    @classmethod
    def of(cls, x_shape, w_shape, stride, padding, dilation, groups):
        """The geometry of x of ``x_shape`` convolved with w of ``w_shape``.

        Args:
            x_shape: (N, C, H, W); N is ignored.
            w_shape: (OC, C/G, KH, KW).
            stride, padding, dilation: (SH, SW), (PH, PW), (DH, DW).
            groups: G.
        """
        _, C, H, W = x_shape
        OC, _, KH, KW = w_shape
        (SH, SW), (PH, PW), (DH, DW) = stride, padding, dilation
        OH = conv_output_size(H, KH, SH, PH, DH)
        OW = conv_output_size(W, KW, SW, PW, DW)
        return cls(C, H, W, OC, KH, KW, SH, SW, PH, PW, DH, DW, groups, OH, OW)

    @property
    def CG(self):
        """C/G: input channels per group, the depth of one group's filters."""
        return self.C // self.G

    @property
    def OCG(self):
        """OC/G: output channels per group."""
        return self.OC // self.G

    @property
    def P(self):
        """OH*OW: output pixels per image and channel."""
        return self.OH * self.OW

    @property
    def K(self):
        """C*KH*KW: the rows of im2col's column matrix (G blocks of C/G*KH*KW)."""
        return self.C * self.KH * self.KW

    @property
    def KG(self):
        """C/G*KH*KW: the rows of one group's block of the column matrix."""
        return self.CG * self.KH * self.KW

    @property
    def window(self):
        """(KH, KW, SH, SW, PH, PW, DH, DW): the arguments the Numba copy kernels take."""
        return self.KH, self.KW, self.SH, self.SW, self.PH, self.PW, self.DH, self.DW

    @property
    def stride(self):
        return self.SH, self.SW

    @property
    def padding(self):
        return self.PH, self.PW

    @property
    def dilation(self):
        return self.DH, self.DW

    @property
    def is_pointwise(self):
        """A 1x1 kernel with stride 1 and no padding: each image is its own column matrix."""
        return (self.KH, self.KW, self.SH, self.SW, self.PH, self.PW) == (1, 1, 1, 1, 0, 0)
