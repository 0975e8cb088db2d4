"""bfloat16, a number format NumPy does not have, read as float32 without rounding."""

import numpy as np


def bfloat16_to_float32(bits):
    """The float32 values of bfloat16 numbers given by their 16-bit patterns.

    bfloat16 is the upper half of a float32: the same sign bit and 8-bit exponent, with
    the mantissa cut from 23 bits to 7. Shifting the 16 bits into the top of a 32-bit word
    therefore gives the float32 of exactly the same number (infinities and NaNs included):
    every bfloat16 value is a float32 value, so nothing is rounded.

    Args:
        bits: a uint16 array of bfloat16 bit patterns, any shape and byte order.

    Returns:
        A float32 array of the same shape.

    Example:
        >>> bfloat16_to_float32(np.array([0x3F80, 0xC040], dtype=np.uint16))
        array([ 1., -3.], dtype=float32)
    """
    return (bits.astype(np.uint32) << 16).view(np.float32)
