"""A solution of exercise receptive_field."""


def receptive_field(layers):
    """(size, jump, start) along one axis after each (kernel, stride, padding, dilation)."""
    size, jump, start = 1, 1, 0.0
    fields = []
    for kernel, stride, padding, dilation in layers:
        extent = dilation * (kernel - 1) + 1  # input positions the kernel spans
        size += (extent - 1) * jump
        start += ((extent - 1) / 2 - padding) * jump
        jump *= stride
        fields.append((size, jump, start))
    return fields
