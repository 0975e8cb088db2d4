"""tinycnn: a convolutional-network engine written from scratch in NumPy and Numba."""
