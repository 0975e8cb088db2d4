"""`configure`: the process settings tinycnn makes at import, what a user set wins, opt-out."""

import os
import subprocess
import sys

import pytest
from test_freed_memory import IS_GLIBC, fresh_pages

PRINT_SETTINGS = (
    "import os, tinycnn\n"
    "from tinycnn.kernels.runtime import configure\n"
    "print(*(os.environ.get(k) for k in ('OMP_WAIT_POLICY', 'GOMP_SPINCOUNT',"
    " 'OPENBLAS_THREAD_TIMEOUT')), sorted(configure.SET_BY_TINYCNN))"
)


def settings_in_a_new_process(**variables):
    """What a new process that imports tinycnn ends up with, started with ``variables``."""
    env = {k: v for k, v in os.environ.items() if k not in configure_variables()}
    env.update(variables)
    done = subprocess.run([sys.executable, "-c", PRINT_SETTINGS], env=env, capture_output=True,
                          text=True, check=True)  # fmt: skip
    return done.stdout.strip()


def configure_variables():
    return {"OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "OPENBLAS_THREAD_TIMEOUT", "TINYCNN_CONFIGURE"}


def test_importing_tinycnn_sets_the_thread_variables():
    assert settings_in_a_new_process() == (
        "PASSIVE 1000 4 ['GOMP_SPINCOUNT', 'OMP_WAIT_POLICY', 'OPENBLAS_THREAD_TIMEOUT']"
    )


def test_a_value_the_user_set_wins():
    assert settings_in_a_new_process(GOMP_SPINCOUNT="5") == (
        "PASSIVE 5 4 ['OMP_WAIT_POLICY', 'OPENBLAS_THREAD_TIMEOUT']"
    )


def test_a_wait_policy_the_user_chose_is_not_refined_by_a_spin_count():
    assert settings_in_a_new_process(OMP_WAIT_POLICY="ACTIVE") == (
        "ACTIVE None 4 ['OPENBLAS_THREAD_TIMEOUT']"
    )


def test_tinycnn_configure_0_opts_out_of_everything():
    assert settings_in_a_new_process(TINYCNN_CONFIGURE="0") == "None None None []"


@pytest.mark.skipif(not IS_GLIBC, reason="the malloc settings are glibc's")
def test_tinycnn_configure_0_keeps_glibcs_malloc_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_")}
    pages = 20 * 2 * 8 * 2**20 // 4096  # what 40 fresh 8 MB arrays would fault in
    assert fresh_pages({**env, "TINYCNN_CONFIGURE": "0"}) > pages // 5
