"""Choosing algorithms by timing them: per pass, kept in memory and in a file, reproducible."""

import json

import numpy as np
import pytest

from tinycnn.kernels import conv
from tinycnn.kernels.conv import choice, parts, tuning, via_im2col, via_windows, via_winograd
from tinycnn.kernels.conv.geometry import ConvGeometry
from tinycnn.kernels.runtime import threads

# A 3x3 stride-1 layer, large enough to be timed (2 images a part: 2*2*32*32*32*288 flop):
# im2col, Winograd, taps and rows all compute it.
X_SHAPE, W_SHAPE = (4, 32, 32, 32), (32, 32, 3, 3)
GEOMETRY = ((1, 1), (1, 1), (1, 1), 1)


def first_part(x_shape=X_SHAPE, w_shape=W_SHAPE):
    """(geometry, images) of the first part a forward call on these shapes runs: the
    choices are filed by part, and the parts depend on the machine's cores (conv/parts.py)."""
    part = parts.split(ConvGeometry.of(x_shape, w_shape, *GEOMETRY), x_shape[0], "out")[0]
    return part.geo, part.images.stop - part.images.start


@pytest.fixture
def fresh_tuning(monkeypatch, tmp_path):
    """Timing on, a cache directory of the test's own, and nothing remembered in memory (as in
    a new process)."""
    # Two parts a call, as on the 2-core machines these sizes were picked for: with more
    # cores, a part of X_SHAPE would fall under tuning.MIN_FLOP and not be timed at all.
    monkeypatch.setattr(threads, "BATCH_PARTS", 2)
    monkeypatch.setenv("TINYCNN_CONV_TUNING", "1")
    monkeypatch.setenv("TINYCNN_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(tuning, "_CHOICES", {})
    monkeypatch.setattr(tuning, "_TIMINGS", {})
    monkeypatch.setattr(tuning._load_file, "done", False, raising=False)
    return tmp_path


def made_up_times(fastest):
    """A stand-in for `_time_candidates`: ``fastest[pass]`` takes 1 ms, the others 2 ms; it
    counts its calls."""

    def time_candidates(candidates, make_problem, run_pass):
        time_candidates.calls += 1
        return {
            pass_: {name: 1e-3 if name == fastest[pass_] else 2e-3 for name in candidates}
            for pass_ in tuning.PASSES
        }

    time_candidates.calls = 0
    return time_candidates


def forget_in_memory(monkeypatch):
    monkeypatch.setattr(tuning, "_CHOICES", {})
    monkeypatch.setattr(tuning, "_TIMINGS", {})
    monkeypatch.setattr(tuning._load_file, "done", False, raising=False)


def test_each_pass_gets_its_fastest_algorithm_and_the_file_remembers_it(fresh_tuning, monkeypatch):
    fastest = {"forward": "winograd", "backward_input": "taps", "backward_weight": "im2col"}
    timer = made_up_times(fastest)
    monkeypatch.setattr(tuning, "_time_candidates", timer)
    by_pass = conv.algorithm_for(X_SHAPE, W_SHAPE, *GEOMETRY)
    assert by_pass == {
        "forward": via_winograd,
        "backward_input": via_windows.TAPS,
        "backward_weight": via_im2col,
    }
    conv.algorithm_for(X_SHAPE, W_SHAPE, *GEOMETRY)
    assert timer.calls == 1  # a layer is timed once
    # A new process finds the choice in the file and times nothing.
    forget_in_memory(monkeypatch)
    assert conv.algorithm_for(X_SHAPE, W_SHAPE, *GEOMETRY) == by_pass
    assert timer.calls == 1
    stored = json.loads(next(fresh_tuning.glob("conv-choices-*.json")).read_text())
    assert list(stored["choices"].values()) == [fastest]


def test_real_timing_computes_the_same_convolution(fresh_tuning):
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal(X_SHAPE), rng.standard_normal(W_SHAPE)
    tuned = conv.conv2d_forward(x, w, None, *GEOMETRY)
    assert tuning.SECONDS_SPENT[0] > 0
    key = tuning.key_of(*first_part(), np.float64)
    names = {name for times in tuning.explain(key).values() for name in times}
    assert names == {name for name, a in choice.ALGORITHMS.items() if a.computes(
        ConvGeometry.of(X_SHAPE, W_SHAPE, *GEOMETRY))}  # fmt: skip
    with conv.forced("im2col"):
        expected = conv.conv2d_forward(x, w, None, *GEOMETRY)
    np.testing.assert_allclose(tuned, expected, rtol=1e-12, atol=1e-12)


def problems_timed(monkeypatch):
    """A stand-in for `tuning.chosen` that records the images of each problem it is given
    and whether it would time it as one part, and then chooses the rule."""
    seen = []

    def chosen(key, candidates, make_problem, run_pass, in_parts):
        x, w, dy = make_problem()
        seen.append((x.shape[0], in_parts))
        return dict.fromkeys(tuning.PASSES, next(iter(candidates)))

    monkeypatch.setattr(tuning, "chosen", chosen)
    return seen


def test_a_call_cut_into_parts_of_images_is_timed_whole(fresh_tuning, monkeypatch):
    seen = problems_timed(monkeypatch)
    conv.algorithm_for(X_SHAPE, W_SHAPE, *GEOMETRY)  # 4 images: 2 parts of 2, each the layer
    assert seen and all(timed == (X_SHAPE[0], False) for timed in seen)


def test_a_call_cut_over_channels_is_timed_one_part_alone(fresh_tuning, monkeypatch):
    seen = problems_timed(monkeypatch)
    # 1 image on 2 cores: parts of the channels, here both of one geometry (16 of the 32
    # output channels each), which is not the layer's
    one_image = (1, *X_SHAPE[1:])
    geo = ConvGeometry.of(one_image, W_SHAPE, *GEOMETRY)
    assert {part.geo.OC for part in parts.split(geo, 1, "out")} == {geo.OC // 2}
    conv.algorithm_for(one_image, W_SHAPE, *GEOMETRY)
    assert seen and all(timed == (1, True) for timed in seen)


def test_preset_choices_are_used_without_timing(fresh_tuning, monkeypatch):
    timer = made_up_times(dict.fromkeys(tuning.PASSES, "im2col"))
    monkeypatch.setattr(tuning, "_time_candidates", timer)
    key = tuning.key_of(*first_part(), np.float32)
    tuning.preset({key: dict.fromkeys(tuning.PASSES, "rows")})
    assert set(conv.algorithm_for(X_SHAPE, W_SHAPE, *GEOMETRY).values()) == {via_windows.ROWS}
    assert timer.calls == 0
    assert tuning.snapshot() == {key: dict.fromkeys(tuning.PASSES, "rows")}


def test_disabled_uses_the_rule(fresh_tuning, monkeypatch):
    timer = made_up_times(dict.fromkeys(tuning.PASSES, "rows"))
    monkeypatch.setattr(tuning, "_time_candidates", timer)
    with tuning.disabled():
        by_pass = conv.algorithm_for(X_SHAPE, W_SHAPE, *GEOMETRY)
    assert set(by_pass.values()) == {choice.choose(*first_part())}
    assert timer.calls == 0


@pytest.mark.parametrize(
    "contents",
    [b"not json", b'{"choices": [1, 2]}', b'{"choices": {"k": {"forward": 1}}}', b"[" * 100_000],
    ids=["garbage", "a list", "a pass missing", "deep nesting"],
)
def test_a_bad_choices_file_is_ignored_and_replaced(fresh_tuning, monkeypatch, contents):
    tuning._file().parent.mkdir(parents=True, exist_ok=True)
    tuning._file().write_bytes(contents)
    timer = made_up_times(dict.fromkeys(tuning.PASSES, "im2col"))
    monkeypatch.setattr(tuning, "_time_candidates", timer)
    assert set(conv.algorithm_for(X_SHAPE, W_SHAPE, *GEOMETRY).values()) == {via_im2col}
    assert timer.calls == 1
    assert "choices" in json.loads(tuning._file().read_text())


def test_a_small_layer_is_left_to_the_rule(fresh_tuning, monkeypatch):
    timer = made_up_times(dict.fromkeys(tuning.PASSES, "rows"))
    monkeypatch.setattr(tuning, "_time_candidates", timer)
    x_shape, w_shape = (4, 8, 9, 9), (8, 8, 3, 3)  # 2*2*8*81*72 flop a part, under MIN_FLOP
    by_pass = conv.algorithm_for(x_shape, w_shape, *GEOMETRY)
    assert set(by_pass.values()) == {choice.choose(*first_part(x_shape, w_shape))}
    assert timer.calls == 0


def test_kernels_compiled_for_another_cpu_keep_their_choices_in_another_file(
    fresh_tuning, monkeypatch
):
    # NUMBA_CPU_NAME / NUMBA_CPU_FEATURES change the code of every kernel (without AVX-512
    # the register tiles are other loops), so timings of one build say nothing of another.
    host_file = tuning._file()
    target = (tuning.numba_config.CPU_NAME, tuning.numba_config.CPU_FEATURES)
    monkeypatch.setattr(tuning.numba_config, "CPU_NAME", "haswell")
    monkeypatch.setattr(tuning.numba_config, "CPU_FEATURES", "+avx2,+fma,-avx512f")
    tuning._machine.cache_clear()
    try:
        assert tuning._machine()["numba_target"] == ["haswell", "+avx2,+fma,-avx512f"]
        assert tuning._file() != host_file
    finally:
        tuning.numba_config.CPU_NAME, tuning.numba_config.CPU_FEATURES = target
        tuning._machine.cache_clear()
    assert tuning._file() == host_file
