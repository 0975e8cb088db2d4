"""What the training tests share: a finished tiny run, and a way to edit its checkpoint."""

import io
import json

import numpy as np
import pytest

from tinycnn.training import Recipe, train

_TINY = Recipe(subset=40, image_size=8, epochs=3, batch_size=8, seed=5)


def quiet():
    return io.StringIO()


@pytest.fixture(scope="session")
def finished(tmp_path_factory):
    """A finished TINY run's directory (3 epochs, cosine schedule, lr 0.1)."""
    out = tmp_path_factory.mktemp("finished") / "run"
    train(_TINY, out, stream=quiet())
    return out


@pytest.fixture
def edited_copy():
    """edited_copy(path, destination, edit): a copy of the checkpoint at `path` whose
    metadata dict went through `edit`."""
    return _edited_copy


def _edited_copy(path, destination, edit):
    """A copy of the checkpoint at `path` whose metadata dict went through `edit`."""
    with np.load(path) as archive:
        arrays = {name: archive[name] for name in archive.files}
    header = json.loads(arrays["metadata.json"].tobytes())
    edit(header["metadata"])
    arrays["metadata.json"] = np.frombuffer(json.dumps(header).encode(), dtype=np.uint8)
    np.savez(destination, **arrays)
    return destination
