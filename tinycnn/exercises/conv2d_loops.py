"""Exercise conv2d_loops: the convolution's forward pass, written with loops."""

from tinycnn.exercises import conv_cases

NAME = "conv2d_loops"
SUMMARY = "the convolution's forward pass with for loops over output pixels"
FUNCTIONS = ("conv2d_forward",)
SOLUTION = "tinycnn.exercises.solutions.conv2d_loops"
SKELETON = (
    '''"""Exercise conv2d_loops. Check it with: tinycnn exercises check THIS_FILE

Write it with for loops: over the output pixels (oh, ow), and inside each, a sum of
products over a window of the padded input. (Exercise conv2d_im2col does it again
without the loops.)
"""
'''
    + conv_cases.CONV2D_FORWARD_STUB
)

check = conv_cases.check_conv2d_forward
plug_in = conv_cases.plug_conv2d_forward
