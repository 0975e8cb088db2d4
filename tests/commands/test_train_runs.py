"""`tinycnn train` as a user runs it, in subprocesses (issue 16, section 3): two runs in
one directory, a run killed with SIGKILL and resumed, a run that diverges."""

import os
import signal
import subprocess
import sys
import time

import pytest

from tinycnn import cli
from tinycnn.training import checkpoint

QUICK = ["--subset", "400", "--image-size", "8", "--batch-size", "16"]


def tinycnn(*arguments, cwd):
    """Run `python -m tinycnn ARGUMENTS` to the end: (exit status, stdout, stderr)."""
    done = subprocess.run(
        [sys.executable, "-m", "tinycnn", *arguments],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )
    return done.returncode, done.stdout, done.stderr


def wait_for(path, process, seconds=120):
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.05)


def test_a_second_run_is_locked_out_then_a_killed_run_resumes_and_its_debris_goes(tmp_path):
    out = tmp_path / "run"
    first = subprocess.Popen(
        [sys.executable, "-m", "tinycnn", "train", *QUICK, "--epochs", "1000", "--out", "run"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(out / "checkpoint.npz", first)
        # a second run into the same directory is refused, naming the first one's process
        status, _, err = tinycnn("train", *QUICK, "--epochs", "2", "--out", "run", cwd=tmp_path)
        assert status == 1
        assert err == (
            f"tinycnn train: --out run is in use by another tinycnn train run (process "
            f"{first.pid}); wait for it to end, or choose another --out\n"
        )
        status, _, err = tinycnn("train", "--out", "run", "--resume", cwd=tmp_path)
        assert status == 1 and f"(process {first.pid})" in err, err
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate()
    # what a kill during a save leaves behind, beside the dead run's lock file
    debris = [out / ".checkpoint.npz.k1ll3d.tmp", out / ".log.csv.x7y8z9.tmp"]
    for path in debris:
        path.write_bytes(b"half a file")
    assert (out / ".lock").read_text() == f"{first.pid}\n"
    trained = checkpoint.load(out / "checkpoint.npz").metadata["epoch"]
    # the dead run's lock does not block; --epochs changes the saved 1000 to one more epoch
    status, out_text, err = tinycnn(
        "train", "--out", "run", "--resume", "--epochs", str(trained + 1), cwd=tmp_path
    )
    assert status == 0, err
    assert f"resuming after epoch {trained}/{trained + 1}" in out_text
    assert not any(path.exists() for path in debris)
    assert sorted(os.listdir(out)) == [".lock", "checkpoint.npz", "log.csv"]
    assert checkpoint.load(out / "checkpoint.npz").metadata["epoch"] == trained + 1


def test_a_diverging_run_stops_in_one_line_naming_the_epoch_and_batch(tmp_path):
    status, _, err = tinycnn(
        "train", *QUICK[:4], "--batch-size", "8", "--lr", "1e30", "--epochs", "2",
        "--out", "run", cwd=tmp_path,
    )  # fmt: skip
    assert status == 1
    # SGD's first step with lr 1e30 makes the second batch's logits overflow
    assert err.startswith("tinycnn train: epoch 1/2, batch 2/"), err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert "the run diverged and stopped (try a smaller --lr); no epoch was saved" in err
    assert not (tmp_path / "run" / "checkpoint.npz").exists()


@pytest.mark.parametrize("option", ["--lr", "--weight-decay"])
def test_an_infinite_rate_is_refused_as_the_command_line_is_parsed(tmp_path, capsys, option):
    with pytest.raises(SystemExit) as exit:
        cli.main(["train", option, "inf", "--out", str(tmp_path / "run")])
    assert exit.value.code == 2  # argparse's status for a bad command line
    err = capsys.readouterr().err
    assert err.endswith(
        f"tinycnn train: error: argument {option}: must be a finite number, got 'inf'\n"
    ), err
    assert not (tmp_path / "run").exists()
