"""`ImageFolder`: image files sorted into one folder per class, as torchvision's."""

import os

import numpy as np

from tinycnn.data import checks, paths
from tinycnn.data.dataset import Dataset
from tinycnn.data.transforms import to_tensor

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


class ImageFolder(Dataset):
    """Images laid out as root/<class name>/**/<file>, decoded with Pillow when indexed.

    Class names are the sub-directories of root, sorted; a class's index is its position
    in that order. Under each class directory every file whose extension is in
    `IMG_EXTENSIONS` (any case) is a sample, found recursively in sorted order, as
    torchvision's `ImageFolder` finds them.

    Samples are `(image, label)`: image the file decoded to RGB, made (3, H, W) float32 in
    [0, 1], then passed through `transform`; label the class index. Images of different
    sizes need a transform (e.g. `Resize` and `CenterCrop`) before a DataLoader can stack
    them.

    Decoding needs Pillow, an optional dependency: `pip install 'tinycnn[image]'`.

    Args:
        root: the directory holding one folder per class.
        transform: a callable applied to each (3, H, W) image. Default: None.

    Attributes:
        classes: sorted class names. class_to_idx: dict name -> index.
        samples: list of (path string, class index). targets: the class indices.

    Raises:
        ModuleNotFoundError: Pillow is not installed.
        FileNotFoundError: a missing root, no class folder, or a class with no image.
        ValueError: (when indexed) a file Pillow cannot decode, named.

    Example:
        >>> flowers = ImageFolder("/data/flowers/train", transform=Compose(
        ...     [Resize(256), CenterCrop(224)]))
    """

    def __init__(self, root, transform=None):
        self._pillow = _import_pillow()
        root = paths.directory("image_folder", root)
        self.root = str(root)
        self.transform = checks.optional_callable("image_folder", "transform", transform)
        self.classes = sorted(entry.name for entry in os.scandir(root) if entry.is_dir())
        if not self.classes:
            raise FileNotFoundError(
                f"image_folder: root must hold one folder per class, got no folder in {root}"
            )
        self.class_to_idx = {name: index for index, name in enumerate(self.classes)}
        self.samples = []
        for name, index in self.class_to_idx.items():
            files = _image_files(root / name)
            if not files:
                raise FileNotFoundError(
                    f"image_folder: class folder {root / name} must hold an image file "
                    f"({' '.join(IMG_EXTENSIONS)}), got none"
                )
            self.samples.extend((path, index) for path in files)
        self.targets = [index for _, index in self.samples]

    def __getitem__(self, index):
        path, target = self.samples[index]
        image = to_tensor(self._decode(path))
        if self.transform is not None:
            image = self.transform(image)
        return image, target

    def __len__(self):
        return len(self.samples)

    def _decode(self, path):
        """The file at `path` as an (H, W, 3) uint8 RGB array."""
        try:
            with self._pillow.open(path) as picture:
                return np.asarray(picture.convert("RGB"))
        except OSError as error:  # Pillow's UnidentifiedImageError and truncated files
            raise ValueError(f"image_folder: {path} is not a readable image: {error}") from error


def _image_files(directory):
    """Paths of the image files under `directory`, recursively, in sorted order."""
    found = []
    for folder, _, names in sorted(os.walk(directory, followlinks=True)):
        for name in sorted(names):
            if name.lower().endswith(IMG_EXTENSIONS):
                found.append(os.path.join(folder, name))
    return found


def _import_pillow():
    """PIL.Image, imported on first use so that Pillow stays an optional dependency."""
    try:
        from PIL import Image
    except ImportError as error:
        raise ModuleNotFoundError(
            "image_folder: decoding images needs Pillow, which is not installed; "
            "install it with pip install 'tinycnn[image]'"
        ) from error
    return Image
