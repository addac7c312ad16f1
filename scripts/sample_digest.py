"""Check that ``papercast run --sample`` still writes byte-identical files.

    python scripts/sample_digest.py           # run the sample, compare with tests/sample-digest.json
    python scripts/sample_digest.py --write   # record the current output as the expected one

Exit code 0 when every file matches, 1 when one differs. Run --write only on purpose: when a
change is meant to change the sample's output (say so in its commit).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.sample_digest import (
    DIGEST_FILE,
    SampleDigest,
    compare,
    describe,
    sample_digest,
)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the output as expected")
    args = parser.parse_args()
    actual = sample_digest()
    if args.write:
        DIGEST_FILE.write_text(actual.to_json(), encoding="utf-8")
        print(f"wrote {DIGEST_FILE} ({len(actual.files)} files)")
        return 0
    differ, exact_audio = compare(SampleDigest.load(), actual)
    print(describe(differ, exact_audio, actual.files))
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
