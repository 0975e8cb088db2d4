"""Settings shared by the whole test suite."""

import os

from hypothesis import settings

# Convolutions use the fixed rule, not algorithms timed on this machine, so that every run
# of the suite computes the same way (tests/kernels/conv/test_tuning.py turns timing on).
# Set before tinycnn is imported, and inherited by the processes the tests start.
os.environ.setdefault("TINYCNN_CONV_TUNING", "0")

# Every run draws the same Hypothesis examples, so a failing test fails again on the next
# run and on every machine (a red CI is a real regression, never an unlucky draw). To draw
# new examples: pytest --hypothesis-profile=explore
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("repeatable")
