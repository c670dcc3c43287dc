"""The noise model is built once per calibration and timing, and reused by run() and run_batch()."""

from __future__ import annotations

from types import MappingProxyType

import pytest

from scheduling.simulator import (
    DEFAULT_TIMING,
    Calibration,
    CalibrationError,
    TimingProfile,
    noise_cache_info,
    prepare_batch,
    run,
    run_batch,
    uniform_calibration,
)
from scheduling.simulator.cache import CACHE_SIZE, NoiseCache, calibration_key

BELL = 'OPENQASM 3.0;\ninclude "stdgates.inc";\nbit[2] c;\nh $0;\ncx $0, $2;\nc[0] = measure $0;\nc[1] = measure $2;\n'


def calibration(t1_us: float) -> Calibration:
    # Values no other test uses, so the shared cache starts without them.
    return uniform_calibration(t1_us=t1_us, t2_us=19, prx_fidelity=0.996, readout_fidelity=0.94, cz_fidelity=0.97)


def builds() -> int:
    return noise_cache_info().builds


def test_second_run_with_the_same_calibration_does_not_rebuild_a_different_one_does():
    circuits = prepare_batch([BELL, BELL], timing=DEFAULT_TIMING)
    before = builds()
    run_batch(circuits, shots=50, seed=1, calibration=calibration(31.25), timing=DEFAULT_TIMING)
    assert builds() == before + 1
    run_batch(circuits, shots=50, seed=2, calibration=calibration(31.25), timing=DEFAULT_TIMING)
    run(BELL, shots=50, seed=3, calibration=calibration(31.25), timing=DEFAULT_TIMING)
    assert builds() == before + 1
    run(BELL, shots=50, seed=3, calibration=calibration(32.25), timing=DEFAULT_TIMING)
    assert builds() == before + 2


def test_cache_key_is_the_calibration_values_not_the_object():
    first = calibration(33.5)
    same_values = Calibration(
        t1_us=dict(first.t1_us),
        t2_us=MappingProxyType(dict(reversed(list(first.t2_us.items())))),
        prx_fidelity=dict(first.prx_fidelity),
        readout_fidelity=dict(first.readout_fidelity),
        cz_fidelity=dict(first.cz_fidelity),
    )
    assert calibration_key(first) == calibration_key(same_values)
    before = builds()
    run(BELL, shots=10, seed=1, calibration=first, timing=DEFAULT_TIMING)
    run(BELL, shots=10, seed=1, calibration=same_values, timing=DEFAULT_TIMING)
    assert builds() == before + 1
    changed = dict(first.cz_fidelity) | {("QB1", "QB3"): 0.95}
    assert calibration_key(first) != calibration_key(
        Calibration(first.t1_us, first.t2_us, first.prx_fidelity, first.readout_fidelity, changed)
    )


def test_a_different_timing_profile_builds_its_own_model():
    before = builds()
    run(BELL, shots=10, seed=1, calibration=calibration(34.5), timing=DEFAULT_TIMING)
    run(BELL, shots=10, seed=1, calibration=calibration(34.5), timing=TimingProfile(prx_ns=60, cz_ns=200))
    run(BELL, shots=10, seed=1, calibration=calibration(34.5), timing=TimingProfile(prx_ns=60, cz_ns=200))
    assert builds() == before + 2


def test_invalid_calibration_is_refused_and_not_cached():
    broken = uniform_calibration(t1_us=10, t2_us=30, prx_fidelity=0.99, readout_fidelity=0.9, cz_fidelity=0.9)
    cache = NoiseCache()
    for _ in range(2):
        with pytest.raises(CalibrationError, match="t2_us"):
            cache.get(broken, DEFAULT_TIMING)
    assert (cache.info().builds, cache.info().size) == (0, 0)


def test_cache_is_bounded_and_evicts_the_least_recently_used():
    assert CACHE_SIZE == 8
    cache = NoiseCache(size=2)
    first, second, third = calibration(35.5), calibration(36.5), calibration(37.5)
    entry = cache.get(first, DEFAULT_TIMING)
    cache.get(second, DEFAULT_TIMING)
    assert cache.get(first, DEFAULT_TIMING) is entry  # a hit, and now the most recently used
    cache.get(third, DEFAULT_TIMING)  # evicts `second`
    assert cache.info().size == 2
    assert cache.get(first, DEFAULT_TIMING) is entry
    cache.get(second, DEFAULT_TIMING)
    assert (cache.info().builds, cache.info().hits) == (4, 2)


def test_idle_channels_are_built_once_per_qubit_and_duration():
    entry = NoiseCache().get(calibration(38.5), DEFAULT_TIMING)
    channel = entry.idle_channel(0, 360.0)
    assert channel is not None
    assert channel.name == "kraus"
    assert entry.idle_channel(0, 360.0) is channel
    assert entry.idle_channel(1, 360.0) is not channel
