"""Benchmarks: `python -m bench --list`, `python -m bench <name>`; see bench/README.md."""
