"""Benchmarks: each compares veille with a baseline in the same run (see README.md here)."""
