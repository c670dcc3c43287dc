"""The web entry point: what a gunicorn worker has ready before its first request."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import config.wsgi
from scheduling.simulator.circuits import _pass_manager
from scheduling.simulator import DEFAULT_TIMING
before = _pass_manager.cache_info()
_pass_manager(DEFAULT_TIMING, None)
after = _pass_manager.cache_info()
print(before.currsize, after.hits - before.hits, after.misses - before.misses)
"""


def test_a_web_process_builds_the_circuit_compiler_before_its_first_request():
    """Loading config.wsgi (what gunicorn and runserver do) builds the default pass manager, so the first job a
    researcher submits to a new web process does not wait for Qiskit to load its transpiler plugins."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    result = subprocess.run(  # noqa: S603 (this interpreter, a fixed program)
        [sys.executable, "-c", PROBE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    built, hits, misses = map(int, result.stdout.split()[-3:])
    assert (built, hits, misses) == (1, 1, 0)
