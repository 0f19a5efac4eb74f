"""Summarise `pip-audit -f json` (read from stdin) in words a person and a script can read.

pip-audit exits 0 when it could not reach the vulnerability database: every package is then
"skipped", and its table ends with "No known vulnerabilities found". That looks green while nothing
was checked, so this summary counts what was really audited and says plainly when it was nothing.

Exit status: 1 when a known vulnerability was found, 0 otherwise (an unreachable database is not a
failure of our code, but the output says NOT AUDITED). `--json` prints the counts as one object.
"""

from __future__ import annotations

import json
import sys


def summarise(report: dict) -> dict:
    deps = report.get("dependencies", [])
    skipped = [d["name"] for d in deps if d.get("skip_reason")]
    audited = [d for d in deps if not d.get("skip_reason")]
    vulnerable = [
        {"name": d["name"], "version": d.get("version"), "ids": [v.get("id") for v in d.get("vulns", [])]}
        for d in audited if d.get("vulns")
    ]
    return {"packages": len(deps), "audited": len(audited), "skipped": len(skipped),
            "vulnerable": vulnerable, "skipped_names": skipped}


def describe(summary: dict) -> list[str]:
    total, audited = summary["packages"], summary["audited"]
    if summary["vulnerable"]:
        lines = [f"dependency audit: FAILED, {len(summary['vulnerable'])} package(s) with known vulnerabilities:"]
        lines += [f"  {v['name']} {v['version']}: {', '.join(v['ids'])}" for v in summary["vulnerable"]]
        return lines
    if total and audited == 0:
        return [f"dependency audit: NOT AUDITED, 0 of {total} packages could be checked "
                "(the vulnerability database could not be reached from this machine); "
                "run `pip-audit` where it can be reached before a release"]
    line = f"dependency audit: {audited} of {total} packages checked, no known vulnerabilities"
    if summary["skipped"]:
        line += f"; {summary['skipped']} NOT checked: {', '.join(summary['skipped_names'])}"
    return [line]


def main(argv: list[str]) -> int:
    raw = sys.stdin.read()
    try:
        report = json.loads(raw)
    except json.JSONDecodeError:
        print("dependency audit: NOT AUDITED, pip-audit gave no report: " + raw.strip()[-300:])
        return 0
    summary = summarise(report)
    if "--json" in argv:
        print(json.dumps(summary, ensure_ascii=False))
    else:
        print("\n".join(describe(summary)))
    return 1 if summary["vulnerable"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
