"""Benchmarks: bulk data generation and admin page timings on PostgreSQL."""
