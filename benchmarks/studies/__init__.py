"""Recipe and accuracy studies: ``python -m benchmarks.studies.<name>``."""
