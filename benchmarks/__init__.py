"""Benchmarks, outside the service packages: `youth-guarantee bench` runs the matcher's (`benchmarks.matcher`)."""
