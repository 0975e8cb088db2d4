"""Exercise conv2d_im2col: the convolution's forward pass as im2col and one matrix product."""

from tinycnn.exercises import conv_cases

NAME = "conv2d_im2col"
SUMMARY = "the convolution's forward pass as im2col and one matrix product per group"
FUNCTIONS = ("conv2d_forward",)
SOLUTION = "tinycnn.kernels.textbook"
SKELETON = (
    '''"""Exercise conv2d_im2col. Check it with: tinycnn exercises check THIS_FILE

Write it without loops over pixels: im2col (exercise im2col; paste yours here) turns
the input into a matrix cols of shape (N, C*KH*KW, OH*OW), and then one matrix product
per group gives y: y[n] = w.reshape(OC, C*KH*KW) @ cols[n] when groups = 1.
"""
'''
    + conv_cases.CONV2D_FORWARD_STUB
)

check = conv_cases.check_conv2d_forward
plug_in = conv_cases.plug_conv2d_forward
