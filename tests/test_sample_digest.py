"""`papercast run --sample` writes the files recorded in tests/sample-digest.json, byte for byte.

A change that is meant to change the sample's output records the new digests on purpose
(`python scripts/sample_digest.py --write`) and says so in its commit and the CHANGELOG.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from support.sample_digest import SampleDigest, compare, describe, digest_outputs, probe, run_sample


@pytest.mark.slow
def test_sample_output_is_byte_identical_to_the_recorded_digest(tmp_path: Path) -> None:
    expected = SampleDigest.load()
    actual = digest_outputs(run_sample(tmp_path), probe())
    differ, exact_audio = compare(expected, actual)
    if not exact_audio:
        warnings.warn(describe([], exact_audio, {}), stacklevel=1)
    assert not differ, describe(differ, exact_audio, actual.files)
    assert set(actual.files) == set(expected.files)
