"""Solutions of the exercises that are not kernels of the textbook set.

The kernel exercises' solutions are the textbook kernels themselves
(`tinycnn.kernels.textbook`); each exercise names its solution in `SOLUTION`.
"""
