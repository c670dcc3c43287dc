"""Noise models built once per calibration and timing, kept in a small least-recently-used cache.

A noise model depends only on its calibration's values and the timing profile, so every job and every circuit
of a batch on the same calibration shares one model, one AerSimulator and one set of idle-relaxation channels.
The worker's simulation process (``isolation.run_isolated``) keeps its own cache from run to run; a process forked
from another starts with a copy of that one's.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from dataclasses import dataclass, field

from qiskit.circuit import Instruction
from qiskit.quantum_info import Kraus
from qiskit_aer import AerSimulator
from qiskit_aer.noise import NoiseModel, thermal_relaxation_error

from scheduling.simulator.device import QUBITS, Calibration, TimingProfile
from scheduling.simulator.noise import build_noise_model

CACHE_SIZE = 8

CalibrationKey = tuple[tuple[tuple[object, float], ...], ...]


def calibration_key(calibration: Calibration) -> CalibrationKey:
    """Return a hashable key made of the calibration's values (two equal calibrations share one key)."""
    per_qubit = (calibration.t1_us, calibration.t2_us, calibration.prx_fidelity, calibration.readout_fidelity)
    parts: list[tuple[tuple[object, float], ...]] = [
        tuple(sorted(values.items(), key=lambda item: repr(item[0]))) for values in per_qubit
    ]
    parts.append(tuple(sorted(calibration.cz_fidelity.items(), key=lambda item: repr(item[0]))))
    return tuple(parts)


@dataclass
class DeviceNoise:
    """Everything a run needs that depends only on one calibration and timing profile."""

    calibration: Calibration
    timing: TimingProfile
    model: NoiseModel
    # One simulator per noise model: Aer keeps no state between runs, and building one per job is waste.
    simulator: AerSimulator
    _idle: dict[tuple[int, float], Instruction | None] = field(default_factory=dict)

    def idle_channel(self, qubit: int, duration_ns: float) -> Instruction | None:
        """Return the thermal relaxation of ``qubit`` idling ``duration_ns`` as a Kraus instruction (cached)."""
        key = (qubit, duration_ns)
        if key not in self._idle:
            name = QUBITS[qubit]
            # Aer only needs consistent units; nanoseconds match the timing profile.
            error = thermal_relaxation_error(
                self.calibration.t1_us[name] * 1000, self.calibration.t2_us[name] * 1000, duration_ns
            )
            self._idle[key] = None if error.ideal() else Kraus(error.to_quantumchannel()).to_instruction()
        return self._idle[key]


@dataclass
class CacheInfo:
    """How often the cache built a noise model and how often it reused one."""

    builds: int
    hits: int
    size: int


class NoiseCache:
    """At most ``size`` device noise entries, least recently used evicted first."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._entries: OrderedDict[tuple[CalibrationKey, TimingProfile], DeviceNoise] = OrderedDict()
        self._lock = threading.Lock()
        self.builds = 0
        self.hits = 0

    def get(self, calibration: Calibration, timing: TimingProfile) -> DeviceNoise:
        """Return the entry for this calibration and timing, building it (outside the lock) on a miss."""
        key = (calibration_key(calibration), timing)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                self.hits += 1
                return entry
        model = build_noise_model(calibration, timing)  # validates the calibration; raises before caching
        entry = DeviceNoise(
            calibration=calibration,
            timing=timing,
            model=model,
            # One thread: the worker runs one job at a time, and a fixed thread count keeps runs reproducible.
            simulator=AerSimulator(noise_model=model, max_parallel_threads=1),
        )
        with self._lock:
            self.builds += 1
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        return entry

    def info(self) -> CacheInfo:
        return CacheInfo(builds=self.builds, hits=self.hits, size=len(self._entries))

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _after_fork(self) -> None:
        # A thread of the parent may have held the lock at the fork; the child has only the forking thread.
        self._lock = threading.Lock()


NOISE_CACHE = NoiseCache()
os.register_at_fork(after_in_child=NOISE_CACHE._after_fork)


def device_noise(calibration: Calibration, timing: TimingProfile) -> DeviceNoise:
    """Return the cached noise of this calibration and timing (built on first use; CalibrationError if invalid)."""
    return NOISE_CACHE.get(calibration, timing)


def noise_cache_info() -> CacheInfo:
    """Return the shared cache's build and hit counts."""
    return NOISE_CACHE.info()


__all__ = ["CACHE_SIZE", "CacheInfo", "DeviceNoise", "NoiseCache", "device_noise", "noise_cache_info"]
