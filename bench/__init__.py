"""Benchmarks and the document generators the tests share.

Each script runs as ``python bench/NAME.py`` from a checkout (with archive-kit installed or not):
it first puts the repository root on ``sys.path``, so ``bench.*`` is importable and the
``archive_kit`` measured is the one in this checkout. Speed is measured here, never in tests.
"""
