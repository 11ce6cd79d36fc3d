"""Run one ``cf-bluegreen`` command and write its resource usage as JSON.

Usage: python bench/run_measured.py USAGE.json cf-bluegreen-args...

The benchmark runs each command through this, in a fresh process, so the
figures are those of the generator alone: ``self`` is this process (the
generator: Python, Jinja, the rendered texts), ``children`` the shellcheck
processes it waited for. ``ru_maxrss`` of the children is the largest single
child, not their sum.
"""

from __future__ import annotations

import json
import resource
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def usage(who: int) -> dict[str, float]:
    """CPU seconds and peak resident memory (MiB; Linux reports KiB, macOS bytes)."""
    rusage = resource.getrusage(who)
    per_mib = 1024 * 1024 if sys.platform == "darwin" else 1024
    return {"user": rusage.ru_utime, "system": rusage.ru_stime,
            "max_rss_mib": rusage.ru_maxrss / per_mib}


def main() -> int:
    report, *arguments = sys.argv[1:]
    from generator.cli import main as cli  # after sys.path names this checkout

    try:
        cli.main(arguments, prog_name="cf-bluegreen", standalone_mode=False)
        status = 0
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else 1
    Path(report).write_text(json.dumps({
        "status": status,
        "self": usage(resource.RUSAGE_SELF),
        "children": usage(resource.RUSAGE_CHILDREN),
    }))
    return status


if __name__ == "__main__":
    sys.exit(main())
