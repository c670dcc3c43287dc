"""Benchmark: the simulator's own overhead above raw Aer, without the queue (no database, no broker).

    .venv/bin/python bench/simulator.py --jobs 50 --batch 100 --shots 1000 --rounds 5

The floor is raw Aer as fast as it goes: one AerSimulator with the prebuilt noise model, the circuits already
transpiled and scheduled (idle relaxation in place), one ``run(...).result()`` per job, counts read. Against it:
``run_batch`` in this process, and ``run_isolated(run_batch)`` on circuits loaded from their QPY bytes (what a
worker does per job). Methods alternate within each round and the median round is reported, so a busy machine
slows all of them alike. Also prints the cost of the parts (fork, QPY load, scheduling) and this process's RSS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from scheduling.simulator import (
    DEFAULT_CALIBRATION,
    DEFAULT_TIMING,
    Calibration,
    TimingProfile,
    TranspiledCircuit,
    device_noise,
    prepare_batch,
    run_batch,
    run_isolated,
)
from scheduling.simulator.idle import with_idle_relaxation


def ghz(n: int) -> str:
    chain = "".join(f"cx q[0], q[{i}];\n" for i in range(1, n))
    return f'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[{n}];\ncreg c[{n}];\nh q[0];\n{chain}measure q -> c;\n'


def rss_mb(pid: int | str = "self") -> float:
    """Resident set size of a process in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class Floor:
    """Raw Aer with a prebuilt noise model and circuits transpiled and scheduled beforehand."""

    def __init__(self, circuits: Sequence[TranspiledCircuit], calibration: Calibration, timing: TimingProfile):
        noise = device_noise(calibration, timing)
        self.simulator = noise.simulator
        self.circuits = [with_idle_relaxation(c.circuit, timing, noise.idle_channel) for c in circuits]

    def run_each(self, shots: int) -> None:
        for seed, circuit in enumerate(self.circuits):
            self.simulator.run(circuit, shots=shots, seed_simulator=seed).result().get_counts()

    def run_all(self, shots: int) -> None:
        self.simulator.run(self.circuits, shots=shots, seed_simulator=1).result().get_counts()


def never() -> bool:
    return False


def run_from_bytes(blobs: Sequence[bytes], **options: Any) -> Any:
    """What a worker's child does per job: load the circuits from QPY and run them."""
    return run_batch([TranspiledCircuit.from_bytes(blob) for blob in blobs], **options)


def median_rounds(methods: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    walls: dict[str, list[float]] = {name: [] for name in methods}
    for _ in range(rounds):
        for name, method in methods.items():
            started = time.perf_counter()
            method()
            walls[name].append(time.perf_counter() - started)
    return {name: statistics.median(values) for name, values in walls.items()}


def part_costs_ms(circuit: TranspiledCircuit, timing: TimingProfile, repeat: int = 50) -> dict[str, float]:
    noise = device_noise(DEFAULT_CALIBRATION, timing)
    blob = circuit.to_bytes()
    parts: dict[str, Callable[[], object]] = {
        "fork + answer (run_isolated of a no-op)": lambda: run_isolated(int, time_limit_s=60, should_stop=never),
        "QPY load of one circuit": lambda: TranspiledCircuit.from_bytes(blob),
        "ALAP schedule + idle relaxation of one circuit": lambda: with_idle_relaxation(
            circuit.circuit, timing, noise.idle_channel
        ),
    }
    return {
        name: cost * 1000 / repeat
        for name, cost in median_rounds(
            {name: (lambda part=part: [part() for _ in range(repeat)]) for name, part in parts.items()}, 3
        ).items()
    }


def measure(jobs: int, batch: int, shots: int, rounds: int) -> list[str]:
    timing, calibration = DEFAULT_TIMING, DEFAULT_CALIBRATION
    (circuit,) = prepare_batch([ghz(5)], timing=timing)
    options: dict[str, Any] = {"shots": shots, "calibration": calibration, "timing": timing}
    singles, batched = [circuit] * jobs, [circuit] * batch
    floor_singles, floor_batch = Floor(singles, calibration, timing), Floor(batched, calibration, timing)
    blob = circuit.to_bytes()

    def isolated_singles() -> None:
        for seed in range(jobs):
            run_isolated(run_from_bytes, [blob], time_limit_s=60, should_stop=never, seed=seed, **options)

    single = median_rounds(
        {
            "floor": lambda: floor_singles.run_each(shots),
            "run_batch": lambda: [run_batch([c], seed=i, **options) for i, c in enumerate(singles)],
            "run_isolated": isolated_singles,
        },
        rounds,
    )
    many = median_rounds(
        {
            "floor": lambda: floor_batch.run_all(shots),
            "run_batch": lambda: run_batch(batched, seed=1, **options),
            "run_isolated": lambda: run_isolated(
                run_from_bytes, [blob] * batch, time_limit_s=600, should_stop=never, seed=1, **options
            ),
        },
        rounds,
    )
    lines = [
        f"GHZ(5), {shots} shots; {jobs} one-circuit jobs and one {batch}-circuit batch; median of {rounds} rounds",
        f"{'':44}{'wall s':>9}{'ms/circuit':>12}{'x floor':>9}",
    ]
    for label, walls, count in ((f"{jobs} single jobs", single, jobs), (f"1 batch of {batch}", many, batch)):
        for name, wall in walls.items():
            lines.append(f"{label + ': ' + name:44}{wall:9.3f}{wall * 1000 / count:12.2f}{wall / walls['floor']:9.2f}")
    lines += [f"{name:56}{cost:7.2f} ms" for name, cost in part_costs_ms(circuit, timing).items()]
    lines.append(f"RSS of this process with the simulator loaded and run: {rss_mb():.0f} MB (pid {os.getpid()})")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=50)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--shots", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    sys.stdout.write("\n".join(measure(args.jobs, args.batch, args.shots, args.rounds)) + "\n")


if __name__ == "__main__":
    main()
