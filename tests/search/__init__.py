"""Search tests: one shared suite run against every backend."""
