"""Layer L1: the differentiable operations, as `Function`s on plain ndarrays.

Each Function is a pair of static methods: `forward(ctx, *arrays, **options)` computes
the output array and saves on `ctx` what the backward pass will need, and
`backward(ctx, grad)` turns the gradient of the output into one gradient per input.
Nothing here knows about `Tensor`: `tinycnn.tensor.apply` runs a Function and records it
in the graph.
"""
