"""atomic_write leaves either the old file or the whole new one, never a broken file."""

import os

import pytest

from tinycnn.io.atomic import atomic_write


def test_writes_the_new_content(tmp_path):
    path = tmp_path / "weights.bin"
    atomic_write(path, lambda f: f.write(b"new"))
    assert path.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["weights.bin"]


@pytest.mark.parametrize("error", [RuntimeError("disk full"), KeyboardInterrupt()])
def test_a_failure_midway_keeps_the_old_file_and_leaves_no_temporary(tmp_path, error):
    path = tmp_path / "weights.bin"
    path.write_bytes(b"old and precious")

    def write_half_then_fail(file):
        file.write(b"half")
        raise error

    with pytest.raises(type(error)):
        atomic_write(path, write_half_then_fail)
    assert path.read_bytes() == b"old and precious"
    assert os.listdir(tmp_path) == ["weights.bin"]


def test_new_files_get_the_umask_permissions_and_replacements_keep_theirs(tmp_path):
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.bin"
        atomic_write(fresh, lambda f: f.write(b"x"))
        assert fresh.stat().st_mode & 0o777 == 0o644
        kept = tmp_path / "kept.bin"
        kept.write_bytes(b"old")
        kept.chmod(0o600)
        atomic_write(kept, lambda f: f.write(b"new"))
        assert kept.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)
