"""Fuzzing harnesses (atheris) and the seeds and mutators they share with tests/test_fuzz.py."""
