"""Benchmarks: ratios against baselines measured in the same run.

Run ``python -m benchmarks`` (or ``tox -e bench``); results are printed as
a table and written to ``benchmarks/results/latest.json``.
"""
