"""Reproducible benchmarks on generated data; `make bench` writes JSON to var/bench/."""
