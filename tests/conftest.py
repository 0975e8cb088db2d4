"""Settings shared by the whole test suite."""

from hypothesis import settings

# Every run draws the same Hypothesis examples, so a failing test fails again on the next
# run and on every machine (a red CI is a real regression, never an unlucky draw). To draw
# new examples: pytest --hypothesis-profile=explore
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile("repeatable")
