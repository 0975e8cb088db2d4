"""`ImageFolder`: image files sorted into one folder per class, as torchvision's."""

import os

from tinycnn.data import checks, paths
from tinycnn.data.dataset import Dataset
from tinycnn.data.errors import DatasetError
from tinycnn.data.image_file import decode_rgb, import_pillow
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
        DatasetError (a ValueError): a folder reached twice through links; when indexed,
            a file that is not a regular file, has more than `image_file.MAX_PIXELS`
            pixels or cannot be decoded, named.

    Example:
        >>> flowers = ImageFolder("/data/flowers/train", transform=Compose(
        ...     [Resize(256), CenterCrop(224)]))
    """

    def __init__(self, root, transform=None):
        import_pillow("image_folder")  # fail now, not at the first image
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
        return decode_rgb("image_folder", path)


def _image_files(directory):
    """Paths of the image files under `directory`, recursively, in sorted order.

    Links to folders are followed, as torchvision's ImageFolder follows them, but a folder
    reached twice (a link to one of its own parents loops forever; two links to one folder
    would count its images twice, under either class) is refused.

    Raises:
        DatasetError: a folder is reached twice.
    """
    walked = []
    seen = {}  # the real path of each folder walked -> the path it was reached by
    for folder, _, names in os.walk(directory, followlinks=True):
        real = os.path.realpath(folder)
        if real in seen:
            raise DatasetError(
                f"image_folder: {folder} is {seen[real]} again (a symbolic link loop, or two "
                "links to one folder); each folder may be reached once"
            )
        seen[real] = folder
        walked.append((folder, names))
    return [
        os.path.join(folder, name)
        for folder, names in sorted(walked)  # by path, as torchvision sorts them
        for name in sorted(names)
        if name.lower().endswith(IMG_EXTENSIONS)
    ]
