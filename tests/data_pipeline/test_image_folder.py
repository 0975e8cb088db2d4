"""ImageFolder over PNG and JPEG files that each test writes with Pillow."""

import os
import re
import signal
import sys

import numpy as np
import pytest

from tinycnn.data import DataLoader, ImageFolder
from tinycnn.data.errors import DatasetError
from tinycnn.data.transforms import Resize

Image = pytest.importorskip("PIL.Image")


def _pixels(height, width, seed):
    return np.random.default_rng(seed).integers(0, 256, size=(height, width, 3), dtype=np.uint8)


@pytest.fixture
def tree(tmp_path):
    """root/cat/{b.png, sub/a.PNG, notes.txt}, root/dog/c.jpg, root/empty_file (not a class)."""
    (tmp_path / "cat" / "sub").mkdir(parents=True)
    (tmp_path / "dog").mkdir()
    pixels = {"b": _pixels(4, 5, 0), "a": _pixels(6, 3, 1), "c": _pixels(8, 8, 2)}
    Image.fromarray(pixels["b"]).save(tmp_path / "cat" / "b.png")
    Image.fromarray(pixels["a"]).save(tmp_path / "cat" / "sub" / "a.PNG")
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(tmp_path / "dog" / "c.jpg", quality=95)
    (tmp_path / "cat" / "notes.txt").write_text("not an image")
    (tmp_path / "empty_file").write_text("")
    return tmp_path, pixels


def test_classes_and_samples_follow_torchvisions_order(tree):
    root, _ = tree
    folder = ImageFolder(root)
    assert folder.classes == ["cat", "dog"]
    assert folder.class_to_idx == {"cat": 0, "dog": 1}
    assert folder.samples == [
        (str(root / "cat" / "b.png"), 0),
        (str(root / "cat" / "sub" / "a.PNG"), 0),
        (str(root / "dog" / "c.jpg"), 1),
    ]
    assert folder.targets == [0, 0, 1] and len(folder) == 3


def test_png_decodes_exactly_and_jpeg_closely(tree):
    root, pixels = tree
    folder = ImageFolder(root)
    image, label = folder[1]
    assert image.shape == (3, 6, 3) and image.dtype == np.float32 and label == 0
    np.testing.assert_array_equal(image, pixels["a"].transpose(2, 0, 1) / np.float32(255))
    jpeg, label = folder[2]
    assert jpeg.shape == (3, 8, 8) and label == 1
    np.testing.assert_allclose(jpeg, 200 / 255, atol=3 / 255)


def test_gray_images_become_rgb(tmp_path):
    (tmp_path / "only").mkdir()
    Image.fromarray(np.full((2, 3), 51, np.uint8), mode="L").save(tmp_path / "only" / "g.png")
    image, _ = ImageFolder(tmp_path)[0]
    assert image.shape == (3, 2, 3)
    np.testing.assert_allclose(image, 0.2)


def test_a_transform_lets_a_loader_stack_images_of_different_sizes(tree):
    root, _ = tree
    with pytest.raises(ValueError, match="samples in a batch must have equal shapes"):
        next(iter(DataLoader(ImageFolder(root), batch_size=3)))
    images, labels = next(iter(DataLoader(ImageFolder(root, Resize((4, 4))), batch_size=3)))
    assert images.shape == (3, 3, 4, 4) and labels.numpy().tolist() == [0, 0, 1]


def test_a_corrupt_image_is_named_when_read(tree):
    root, _ = tree
    bad = root / "dog" / "d.png"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n not really")
    folder = ImageFolder(root)
    with pytest.raises(ValueError, match=re.escape(f"image_folder: {bad} is not a readable image")):
        folder[3]


def test_missing_root_no_classes_and_empty_classes_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match="image_folder: root must be an existing directory"):
        ImageFolder(tmp_path / "nope")
    with pytest.raises(
        FileNotFoundError, match="image_folder: root must hold one folder per class"
    ):
        ImageFolder(tmp_path)
    (tmp_path / "cat").mkdir()
    (tmp_path / "cat" / "readme.txt").write_text("")
    empty = tmp_path / "cat"
    with pytest.raises(FileNotFoundError, match=re.escape(f"class folder {empty} must hold an")):
        ImageFolder(tmp_path)


def test_without_pillow_the_error_says_how_to_install_it(tree, monkeypatch):
    root, _ = tree
    monkeypatch.setitem(sys.modules, "PIL", None)  # makes `from PIL import Image` fail
    with pytest.raises(ModuleNotFoundError, match=re.escape("pip install 'tinycnn[image]'")):
        ImageFolder(root)


def test_a_symlink_loop_is_refused_instead_of_counting_images_again(tree):
    # cat/sub/back -> cat: followed as torchvision follows links, it would reach cat/b.png
    # through cat/sub/back/b.png, cat/sub/back/sub/back/b.png, ... (issue 16: 3 files
    # became 82 samples)
    root, _ = tree
    (root / "cat" / "sub" / "back").symlink_to(root / "cat", target_is_directory=True)
    with pytest.raises(DatasetError) as error:
        ImageFolder(root)
    assert str(error.value) == (
        f"image_folder: {root / 'cat' / 'sub' / 'back'} is {root / 'cat'} again (a symbolic "
        "link loop, or two links to one folder); each folder may be reached once"
    )


def test_a_link_to_a_folder_outside_the_tree_is_followed(tree, tmp_path_factory):
    root, _ = tree
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    Image.fromarray(_pixels(4, 4, 3)).save(elsewhere / "d.png")
    (root / "dog" / "more").symlink_to(elsewhere, target_is_directory=True)
    assert (str(root / "dog" / "more" / "d.png"), 1) in ImageFolder(root).samples


def test_a_fifo_among_the_images_is_refused_when_read_without_blocking(tree):
    root, _ = tree
    fifo = root / "dog" / "pipe.png"
    os.mkfifo(fifo)
    folder = ImageFolder(root)
    index = folder.samples.index((str(fifo), 1))
    # opening a FIFO blocks until a writer comes: the alarm ends the test instead of a hang
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail("ImageFolder opened the FIFO and hung"))
    signal.alarm(20)
    try:
        with pytest.raises(DatasetError) as error:
            folder[index]
    finally:
        signal.alarm(0)
    assert (
        str(error.value) == f"image_folder: {fifo} must be a regular file, got a FIFO (named pipe)"
    )


def test_an_image_of_too_many_pixels_is_refused_before_decoding(tree):
    root, _ = tree
    # a real 8001 x 8000 PNG of one colour: 64,008,000 pixels, 8,000 more than MAX_PIXELS,
    # below Pillow's own warning (89 megapixels); it compresses to a few kilobytes
    Image.new("L", (8001, 8000)).save(root / "dog" / "big.png")
    folder = ImageFolder(root)
    index = folder.samples.index((str(root / "dog" / "big.png"), 1))
    with pytest.raises(DatasetError, match=r"claims 8001 x 8000 = 64,008,000 pixels, more than"):
        folder[index]
