"""The analytic lessons: every number against a formula worked out here, independently."""

from tinycnn.lessons import alexnet_rf, bottleneck, dense_block, inception, receptive_field


def test_receptive_field_stacks_of_3x3_against_one_big_kernel():
    numbers = receptive_field.measure(scale="quick")
    assert set(numbers["channels"]) == {128, 256}
    for C, stacks in numbers["channels"].items():
        by_layers = {stack["layers"]: stack for stack in stacks}
        assert set(by_layers) == {2, 3}
        for L, stack in by_layers.items():
            k = 2 * L + 1
            assert stack["kernel"] == k
            assert stack["stack_weights"] == L * 3 * 3 * C * C
            assert stack["big_weights"] == k * k * C * C
            for field in ("stack_rf", "big_rf", "stack_gradient_rf", "big_gradient_rf"):
                assert tuple(stack[field]) == (k, k), field
    # The lecture's C = 128 figures, and C = 256's (issue 14), by hand: 2*9*C^2 and 25*C^2.
    assert numbers["channels"][128][0]["stack_weights"] == 294_912
    assert numbers["channels"][128][0]["big_weights"] == 409_600
    assert numbers["channels"][256][0]["stack_weights"] == 1_179_648
    assert numbers["channels"][256][0]["big_weights"] == 1_638_400


def test_receptive_field_report_uses_each_channel_count():
    text = " ".join(str(receptive_field.report(receptive_field.measure(scale="quick"))).split())
    assert "at C = 256: two 3x3 have 1,179,648 weights against 1,638,400 for a 5x5" in text
    assert "at C = 128: two 3x3 have 294,912 weights against 409,600 for a 5x5" in text


def test_a_field_larger_than_the_image_reaches_into_the_padding():
    numbers = receptive_field.measure(scale="quick")
    size = numbers["image"]
    assert size == 8
    for entry in numbers["on_image"]:
        L = entry["layers"]
        assert tuple(entry["rf"]) == (2 * L + 1, 2 * L + 1)
        # Autograd finds gradient only on pixels that exist: at most the image's 8 rows.
        assert tuple(entry["gradient_rf"]) == (min(2 * L + 1, size),) * 2
    # ResNet-20's 19 3x3 convs: each adds 2 * (the jump before it) to the field; the first
    # conv of stages 2 and 3 has stride 2 and doubles the jump after it:
    # 3 (stem) + 6 * 2 + 2 + 5 * 4 + 4 + 5 * 8 = 81. (The shortcuts' subsampling sees less.)
    rf, jump = 1, 1
    for stride in [1] + [1] * 6 + [2] + [1] * 5 + [2] + [1] * 5:  # ResNet-20's 19 convs
        rf += 2 * jump
        jump *= stride
    assert tuple(numbers["resnet20_last_conv_rf"]) == (rf, rf) and rf > size
    text = str(receptive_field.report(numbers))
    assert "yes: reaches 1 pixel(s) past the border" in text
    assert "yes: reaches 2 pixel(s) past the border" in text


def test_alexnet_receptive_fields_and_the_3x3_stack():
    numbers = alexnet_rf.measure()
    # torchvision's AlexNet: (kernel, stride) of its convolutions and max pools, in order.
    geometry = [(11, 4), (3, 2), (5, 1), (3, 2), (3, 1), (3, 1), (3, 1), (3, 2)]
    rf, jump, expected = 1, 1, []
    for kernel, stride in geometry:
        rf += (kernel - 1) * jump
        jump *= stride
        expected.append((rf, jump))
    assert [(layer[3], layer[4]) for layer in numbers["layers"]] == expected
    assert [layer[2][0] for layer in numbers["layers"] if layer[1] == "Conv2d"] == [
        64, 192, 384, 256, 256
    ]  # fmt: skip
    assert numbers["conv1_weights"] == 64 * 3 * 11 * 11
    assert numbers["stack_rf"] == 11
    assert numbers["stack_weights_rgb"] == 3 * 64 * 9 + 4 * 64 * 64 * 9
    assert numbers["big_weights_64"] == 64 * 64 * 121
    assert numbers["stack_weights_64"] == 5 * 64 * 64 * 9


def test_inception_with_and_without_reductions():
    numbers = inception.measure()
    HW = 28 * 28
    # inception 3a: 192 in; 1x1 64; 3x3 reduce 96 -> 128; 5x5 reduce 16 -> 32; pool proj 32
    reduced = [(192, 64, 1), (192, 96, 1), (96, 128, 3), (192, 16, 1), (16, 32, 5), (192, 32, 1)]
    naive = [(192, 64, 1), (192, 128, 3), (192, 32, 5)]

    def weights(convs):
        return sum(c * oc * k * k for c, oc, k in convs)

    def batch_norm(convs):
        return sum(2 * oc for _, oc, _ in convs)

    for name, convs, out in (("reduced", reduced, 256), ("naive", naive, 64 + 128 + 32 + 192)):
        got = numbers[name]
        assert got["conv_weights"] == weights(convs)
        assert got["params"] == weights(convs) + batch_norm(convs)
        assert got["macs"] == weights(convs) * HW
        assert got["out_channels"] == out
    assert numbers["reduced"]["branch3_weights"] == weights(reduced[3:5])
    assert numbers["naive"]["branch3_weights"] == weights(naive[2:])


def test_bottleneck_against_two_3x3():
    numbers = bottleneck.measure()
    b, basic = numbers["bottleneck"], numbers["basic"]
    assert b["conv_weights"] == 256 * 64 + 64 * 64 * 9 + 64 * 256 == 69_632
    assert basic["conv_weights"] == 2 * 256 * 256 * 9 == 1_179_648
    assert b["params"] == b["conv_weights"] + 2 * (64 + 64 + 256)
    assert b["macs"] == b["conv_weights"] * 56 * 56
    assert basic["macs"] == basic["conv_weights"] * 56 * 56
    assert b["convs"] == ["1x1, 64", "3x3, 64", "1x1, 256"]


def test_dense_block_growth_and_transition():
    numbers = dense_block.measure()
    assert numbers["layer_inputs"] == [64 + 32 * i for i in range(6)]
    assert numbers["new_per_layer"] == [32] * 6
    assert tuple(numbers["block_output"]) == (256, 56, 56)
    assert tuple(numbers["after_conv"]) == (128, 56, 56)
    assert tuple(numbers["after_pool"]) == (128, 28, 28)
    assert numbers["block_output_bytes"] == 4 * 256 * 56 * 56
    assert numbers["after_pool_bytes"] == 4 * 128 * 28 * 28
