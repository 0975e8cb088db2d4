"""Write tinycnn/data/digits.npz from scikit-learn's copy of the UCI handwritten digits.

scikit-learn ships the test set of the UCI "Optical Recognition of Handwritten Digits"
data (Alpaydin & Kaynak 1998, https://doi.org/10.24432/C50P49, CC BY 4.0): 1,797 images of
8x8 pixels, each pixel the count (0..16) of set bits in a 4x4 block of a 32x32 bitmap.
This script converts it once; tinycnn then reads the .npz with NumPy alone.

Run it in a virtual environment outside the project that has scikit-learn (it is needed by
this script only, never by tinycnn or its tests):

    python3 -m venv /root/venvs/sklearn
    /root/venvs/sklearn/bin/pip install scikit-learn numpy
    /root/venvs/sklearn/bin/python tools/make_digits.py

The archive holds two arrays, in the order of scikit-learn's `load_digits()`:

    images  uint8 (1797, 8, 8), values 0..16
    labels  int64 (1797,), values 0..9

Its bytes are the same on every run (fixed entry timestamps), so the checksum that
tests/data_pipeline/test_digits.py pins only changes when the data does.
"""

import hashlib
import io
import zipfile
from pathlib import Path

import numpy as np
from sklearn.datasets import load_digits

OUTPUT = Path(__file__).resolve().parent.parent / "tinycnn" / "data" / "digits.npz"


def main():
    digits = load_digits()
    images = digits.images
    if not np.array_equal(images, np.round(images)) or images.min() < 0 or images.max() > 16:
        raise ValueError("make_digits: pixels must be integers in 0..16")
    arrays = {"images": images.astype(np.uint8), "labels": digits.target.astype(np.int64)}
    with zipfile.ZipFile(OUTPUT, "w") as archive:
        for key, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{key}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())
    digest = hashlib.sha256(OUTPUT.read_bytes()).hexdigest()
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, sha256 {digest})")


if __name__ == "__main__":
    main()
