"""Benchmarks whose figures go in the README."""
