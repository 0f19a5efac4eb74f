"""Where a py-spy profile spends its time: the share of samples each function appears in (inclusive).

    python -m bench.spy_summary PROFILE.txt [--top 40] [--match servicebank]

PROFILE.txt is py-spy's raw (collapsed) output, `py-spy record --format raw`: one stack a line, frames
separated by `;`, the sample count last. A function counts once per stack however deep it recurses, so
the shares of a caller and its callees can be read against each other.
"""

from __future__ import annotations

import argparse
import collections
from pathlib import Path


def shares(text: str, *, match: str = "") -> tuple[int, list[tuple[str, float]]]:
    """(samples in all, [(function, share of the samples it appears in)]) highest first."""
    total = 0
    inclusive: collections.Counter[str] = collections.Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        samples = int(count)
        total += samples
        for frame in {f.strip() for f in stack.split(";")}:
            if match in frame:
                inclusive[frame] += samples
    return total, [(frame, n / max(total, 1)) for frame, n in inclusive.most_common()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--match", default="", help="only frames containing this text (e.g. a package's path)")
    args = parser.parse_args()
    total, ranked = shares(args.profile.read_text(), match=args.match)
    print(f"{total} samples")
    for frame, share in ranked[:args.top]:
        print(f"{share * 100:5.1f}%  {frame}")


if __name__ == "__main__":
    main()
