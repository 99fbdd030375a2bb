"""Speed, memory and accuracy benchmarks of skxray (not part of the package).

Run them from the repository root as modules, ``python -m benchmarks.speed.bench_scratch``;
see ``benchmarks/README.md``.
"""
