"""Metered QPU time of a job, the quantity charged against allocations."""

from __future__ import annotations

from scheduling.simulator.device import TimingProfile


def metered_seconds(*, shots: int, duration_ns: float, timing: TimingProfile) -> float:
    """Return overhead + shots x (circuit duration + readout + repetition delay), in seconds."""
    # Sum per-shot time in nanoseconds first so the common case stays exact before the one division.
    per_shot_ns = duration_ns + timing.readout_ns + timing.rep_delay_us * 1000
    return timing.overhead_s + shots * per_shot_ns / 1e9
