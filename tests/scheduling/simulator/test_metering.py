"""Metered QPU seconds: overhead + shots x (circuit duration + readout + repetition delay)."""

from __future__ import annotations

import pytest

from scheduling.simulator import DEFAULT_TIMING, TimingProfile, metered_seconds


def test_metering_with_default_timing_and_zero_duration():
    # 2 s + 1000 x (1.5 us readout + 200 us repetition delay)
    assert metered_seconds(shots=1000, duration_ns=0, timing=DEFAULT_TIMING) == pytest.approx(2.2015)


def test_metering_adds_the_circuit_duration_per_shot():
    # 2 s + 100 000 x (960 ns + 1.5 us + 200 us) = 2 + 20.246
    assert metered_seconds(shots=100_000, duration_ns=960, timing=DEFAULT_TIMING) == pytest.approx(22.246)


def test_metering_uses_the_timing_profile():
    timing = TimingProfile(readout_ns=500, rep_delay_us=100, overhead_s=1)
    # 1 s + 10 x (1000 ns + 500 ns + 100 us)
    assert metered_seconds(shots=10, duration_ns=1000, timing=timing) == pytest.approx(1.001015)


def test_metering_with_no_overhead_or_delay_is_shots_times_circuit_and_readout():
    timing = TimingProfile(readout_ns=0, rep_delay_us=0, overhead_s=0)
    assert metered_seconds(shots=4, duration_ns=250, timing=timing) == pytest.approx(1e-6)


def test_metering_grows_with_shots():
    one = metered_seconds(shots=1, duration_ns=500, timing=DEFAULT_TIMING)
    many = metered_seconds(shots=2, duration_ns=500, timing=DEFAULT_TIMING)
    assert many - one == pytest.approx(500e-9 + 1.5e-6 + 200e-6)
