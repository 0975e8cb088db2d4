"""run_lock: one run at a time in a run directory; a dead run's lock never blocks. (The
real command line, two processes and a SIGKILL, is in tests/commands/test_train_runs.py.)"""

import os
import subprocess
import sys

import pytest

from tinycnn.training import TrainingError
from tinycnn.training.run_lock import LOCK_FILE, locked


def test_a_held_lock_refuses_a_second_holder_naming_the_first(tmp_path):
    with locked(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
        with pytest.raises(TrainingError) as error, locked(tmp_path):
            pass
    assert str(error.value) == (
        f"--out {tmp_path} is in use by another tinycnn train run (process {os.getpid()}); "
        "wait for it to end, or choose another --out"
    )
    with locked(tmp_path):  # released when the first holder left its block
        pass


def test_the_lock_file_of_a_process_that_has_ended_does_not_block(tmp_path):
    # a child takes the lock and dies inside the block (os._exit runs no cleanup, as a
    # kill -9 would not): the kernel releases the lock, the file stays with its PID
    code = (
        "import os, sys, pathlib; from tinycnn.training.run_lock import locked\n"
        "with locked(pathlib.Path(sys.argv[1])): os._exit(0)"
    )
    child = subprocess.run([sys.executable, "-c", code, str(tmp_path)], timeout=60)
    assert child.returncode == 0
    assert (tmp_path / LOCK_FILE).read_text() != f"{os.getpid()}\n"  # the child's PID
    with locked(tmp_path):
        assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"
