"""How many pooling windows fit along one axis, by torch's rule (floor or ceil mode)."""


def pooled_output_size(size, kernel, stride, padding, dilation, ceil_mode):
    """Number of windows along an axis of `size` pixels.

        OH = floor_or_ceil((H + 2P - D*(K-1) - 1) / S) + 1

    In ceil mode the last window may hang off the end of the padded input, but it must
    start inside the input or its left padding: if it would start in the right padding,
    it is dropped (torch's rule).
    """
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return span // stride + 1
    out = -(-span // stride) + 1  # ceil division
    if (out - 1) * stride >= size + padding:
        out -= 1
    return out


def padding_after(size, kernel, stride, padding, dilation, out):
    """Padding needed after the input so that all `out` windows lie on the padded axis.

    P, or more in ceil mode, where the last window may hang off the end.
    """
    last_tap = (out - 1) * stride + dilation * (kernel - 1)  # on the axis padded by P before
    return max(padding, last_tap + 1 - size - padding)
