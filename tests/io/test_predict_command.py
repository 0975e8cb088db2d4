"""`tinycnn predict`: ImageNet preprocessing, the top-k classes, and its errors."""

import os
import signal

import numpy as np
import pytest
from hostile_files import (
    GIB,
    broadcast_pth,
    huge_shape_safetensors,
    npy_header,
    npz_claiming,
    png_claiming,
)
from PIL import Image

import tinycnn
from tinycnn import cli, models
from tinycnn.commands.predict import (
    IMAGENET_MEAN,
    IMAGENET_STD,
    preprocess,
    read_image,
    top_classes,
)

GOLDEN_RETRIEVER = 207


def test_preprocess_normalizes_with_imagenets_statistics():
    colour = np.array([0.2, 0.5, 0.9], np.float32)
    image = np.broadcast_to(colour[:, None, None], (3, 300, 400)).copy()
    output = preprocess(image)
    assert output.shape == (3, 224, 224) and output.dtype == np.float32
    expected = (colour - np.array(IMAGENET_MEAN)) / np.array(IMAGENET_STD)
    assert np.allclose(output, expected[:, None, None].astype(np.float32), atol=1e-6)


def test_preprocess_crops_the_centre_224_of_the_short_side_256():
    # already 256 on its short side, so the resize keeps it; each pixel holds its column
    H, W = 256, 512
    columns = np.broadcast_to(np.arange(W, dtype=np.float32) / W, (3, H, W)).copy()
    output = preprocess(columns)
    top, left = (H - 224) // 2, (W - 224) // 2  # 16, 144
    wanted = columns[:, top : top + 224, left : left + 224]
    wanted = (wanted - np.array(IMAGENET_MEAN)[:, None, None]) / np.array(IMAGENET_STD)[
        :, None, None
    ]
    assert np.allclose(output, wanted, atol=1e-5)


@pytest.fixture(scope="module")
def weights(tmp_path_factory):
    """squeezenet1_1 weights, random but for a large bias on the golden retriever class."""
    tinycnn.manual_seed(0)
    model = models.squeezenet1_1()
    model.state_dict()["classifier.1.bias"][GOLDEN_RETRIEVER] = 30.0
    path = tmp_path_factory.mktemp("weights") / "squeezenet1_1.pth"
    tinycnn.save(model, path)
    return path


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    """The same kind of picture as a PNG, an (H, W, 3) uint8 .npy and a (3, H, W) float .npy."""
    folder = tmp_path_factory.mktemp("images")
    pixels = np.random.default_rng(0).integers(0, 256, (240, 320, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(folder / "picture.png")
    np.save(folder / "pixels.npy", pixels)
    np.save(folder / "floats.npy", pixels.transpose(2, 0, 1) / 255.0)
    return [folder / "picture.png", folder / "pixels.npy", folder / "floats.npy"]


def predict(capsys, *arguments):
    status = cli.main(["predict", *map(str, arguments)])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def printed_classes(out):
    """{image: [(probability, class index, class name), ...]} from predict's output."""
    results = {}
    for line in out.splitlines():
        if not line.startswith("  "):
            image = line
            results[image] = []
        else:
            probability, index, name = line.split(maxsplit=2)
            results[image].append((float(probability), int(index), name))
    return results


def test_the_class_the_weights_favour_comes_first_for_every_kind_of_input(capsys, weights, images):
    status, out, err = predict(capsys, *images, "--model", "squeezenet1_1", "--weights", weights)
    assert status == 0, err
    results = printed_classes(out)
    assert list(results) == [str(path) for path in images]
    for ranked in results.values():
        assert len(ranked) == 5
        probability, index, name = ranked[0]
        assert (index, name) == (GOLDEN_RETRIEVER, "golden retriever")
        assert probability > 0.99


def test_the_printed_classes_are_the_models_top_k(capsys, images, tmp_path):
    tinycnn.manual_seed(1)
    path = tmp_path / "random.npz"
    tinycnn.save(models.squeezenet1_1(), path)
    status, out, err = predict(
        capsys, images[0], "--model", "squeezenet1_1", "--weights", path, "--topk", "7"
    )
    assert status == 0, err
    ranked = printed_classes(out)[str(images[0])]
    model = models.squeezenet1_1(weights=path).eval()
    expected = top_classes(model, preprocess(read_image(images[0])), 7)
    assert [index for _, index, _ in ranked] == [index for index, _ in expected]
    assert [probability for probability, _, _ in ranked] == [
        float(f"{probability:.4f}") for _, probability in expected
    ]
    printed = [probability for probability, _, _ in ranked]
    assert printed == sorted(printed, reverse=True)


def test_a_grey_npy_image_is_made_rgb(tmp_path):
    np.save(tmp_path / "grey.npy", np.full((5, 6), 51, np.uint8))
    image = read_image(tmp_path / "grey.npy")
    assert image.shape == (3, 5, 6) and np.allclose(image, 0.2)


def test_user_errors_are_one_line_and_a_nonzero_status(capsys, weights, images, tmp_path):
    (tmp_path / "not_an_image.png").write_text("hello")
    np.save(tmp_path / "wrong.npy", np.zeros((4, 5, 6), np.float32))
    (tmp_path / "corrupt.pth").write_bytes(weights.read_bytes()[:1000])
    model = ["--model", "squeezenet1_1"]
    cases = [
        ([tmp_path / "missing.png", *model, "--weights", weights], "missing.png"),
        ([tmp_path / "not_an_image.png", *model, "--weights", weights], "not a readable image"),
        ([tmp_path / "wrong.npy", *model, "--weights", weights], "wrong.npy must hold an (H, W"),
        ([images[1], *model, "--weights", tmp_path / "corrupt.pth"], "corrupt.pth is not a"),
        ([images[1], *model, "--weights", tmp_path / "none.pth"], "none.pth"),
        ([images[1], *model, "--weights", weights, "--topk", "0"], "--topk must be in [1, 1000]"),
        ([images[1], "--model", "resnet19", "--weights", weights], "got 'resnet19'"),
        ([images[1], "--model", "squeezenet1_0", "--weights", weights], "does not fit SqueezeNet"),
    ]
    for arguments, message in cases:
        status, out, err = predict(capsys, *arguments)
        assert status == 1 and out == "", arguments
        assert err.startswith("tinycnn predict: ") and err.count("\n") == 1, err
        assert message in err, (message, err)


def test_an_error_of_predict_itself_is_not_prefixed_twice(capsys, weights, images):
    status, _, err = predict(
        capsys, images[1], "--model", "squeezenet1_1", "--weights", weights, "--topk", "0"
    )
    assert status == 1
    assert err == "tinycnn predict: --topk must be in [1, 1000], got 0\n"


@pytest.fixture(scope="module")
def ten_class_weights(tmp_path_factory):
    """squeezenet1_1 for 10 classes, random but for a large bias on class 3."""
    tinycnn.manual_seed(0)
    model = models.squeezenet1_1(num_classes=10)
    model.state_dict()["classifier.1.bias"][3] = 30.0
    path = tmp_path_factory.mktemp("ten") / "ten.npz"
    tinycnn.save(model, path)
    return path


def test_num_classes_and_a_class_file_name_the_classes_of_another_model(
    capsys, ten_class_weights, images, tmp_path
):
    names = tmp_path / "names.txt"
    names.write_text("".join(f"animal {index}\n" for index in range(10)))
    common = ["--model", "squeezenet1_1", "--weights", ten_class_weights, "--num-classes", "10"]
    status, out, err = predict(capsys, images[1], *common, "--classes", names)
    assert status == 0, err
    probability, index, name = printed_classes(out)[str(images[1])][0]
    assert (index, name) == (3, "animal 3") and probability > 0.99
    # without a file, the classes are numbered
    status, out, err = predict(capsys, images[1], *common, "--topk", "10")
    assert status == 0, err
    assert [name for _, _, name in printed_classes(out)[str(images[1])]][0] == "3"
    # a file of another length
    names.write_text("cat\ndog\n")
    status, _, err = predict(capsys, images[1], *common, "--classes", names)
    assert status == 1
    assert err == (
        f"tinycnn predict: --classes {names} must name the 10 classes of --num-classes, one a "
        "line, got 2 lines\n"
    )


def test_weights_with_a_head_of_another_size_say_which_num_classes_fits(
    capsys, ten_class_weights, images
):
    status, _, err = predict(
        capsys, images[1], "--model", "squeezenet1_1", "--weights", ten_class_weights
    )
    assert status == 1 and err.count("\n") == 1
    assert (
        "the state dict's classifier.1 has 10 outputs where the module's has 1000: build the "
        "model with num_classes=10" in err
    )


def test_hostile_weight_files_and_images_are_one_line_errors(capsys, weights, images, tmp_path):
    hostile_weights = {
        broadcast_pth(tmp_path / "broadcast.pth", (2**14, 2**14)): "claims 2,147,483,648 bytes",
        npz_claiming(tmp_path / "claims.npz", (GIB,)): "claims an array of shape (1073741824,)",
        huge_shape_safetensors(tmp_path / "huge.safetensors"): "more than NumPy can address",
        png_claiming(tmp_path / "not_weights.pth", 2, 2): "is not a readable .pth file",
    }
    for path, message in hostile_weights.items():
        status, out, err = predict(capsys, images[1], "--model", "squeezenet1_1", "--weights", path)
        assert status == 1 and out == "" and err.count("\n") == 1, err
        assert err.startswith(f"tinycnn predict: load: {path}") and message in err, err
    claims = tmp_path / "claims.npy"
    claims.write_bytes(npy_header((GIB,)) + bytes(8))  # 8 GB claimed, 8 bytes held
    hostile_images = {
        png_claiming(tmp_path / "giga.png", 10**5, 10**5): "is refused as a decompression bomb",
        claims: "claims an array of shape (1073741824,) (8,589,934,592 bytes)",
    }
    for path, message in hostile_images.items():
        status, out, err = predict(capsys, path, "--model", "squeezenet1_1", "--weights", weights)
        assert status == 1 and out == "" and err.count("\n") == 1, err
        assert err.startswith(f"tinycnn predict: {path}") and message in err, err


def test_a_fifo_is_refused_without_opening_it(capsys, weights, tmp_path):
    fifo = tmp_path / "fifo.png"
    os.mkfifo(fifo)
    # opening a FIFO blocks until a writer comes: the alarm ends the test instead of a hang
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("predict opened the FIFO and hung"))
    signal.alarm(20)
    try:
        status, out, err = predict(capsys, fifo, "--model", "squeezenet1_1", "--weights", weights)
    finally:
        signal.alarm(0)
    assert status == 1 and out == ""
    assert err == f"tinycnn predict: {fifo} must be a regular file, got a FIFO (named pipe)\n"
