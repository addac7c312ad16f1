"""Test support shared by tests/, bench/ and scripts/: fakes, payload builders, helpers.

Nothing here ships in the wheel. Tests import it as ``support`` (pytest puts tests/ on
``sys.path``); bench/ and scripts/ put tests/ on ``sys.path`` first.
"""
