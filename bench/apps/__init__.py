"""The servers the benchmark compares, each a small app of its own."""
