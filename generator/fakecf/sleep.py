"""The stub `sleep`: advance the simulated clock instead of waiting.

Operands are read like GNU coreutils sleep (sum of NUMBER[smhd] operands); the
invariants are re-checked at the new time, since waiting is what makes pending
route changes reach the routers.
"""

from __future__ import annotations

import os
import re
import sys

from . import invariants
from . import state as S

_OPERAND = r"^(\d+\.?\d*|\.\d+)([smhd]?)$"
_UNIT = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}
_TRY = "Try 'sleep --help' for more information.\n"


def seconds(args: list[str]) -> float:
    """Total seconds, or ValueError with coreutils' message."""
    if not args:
        raise ValueError("sleep: missing operand\n" + _TRY)
    total = 0.0
    for a in args:
        if a.startswith("-") and len(a) > 1 and not a[1].isdigit() and a != "--":
            raise ValueError(f"sleep: invalid option -- '{a[1]}'\n" + _TRY)
        m = re.match(_OPERAND, a)
        if not m:
            raise ValueError(f"sleep: invalid time interval '{a}'\n" + _TRY)
        total += float(m.group(1)) * _UNIT[m.group(2)]
    return total


def main(args: list[str]) -> int:
    if args and args[0] == "--":
        args = args[1:]
    try:
        secs = seconds(args)
    except ValueError as e:
        sys.stderr.write(str(e))
        return 1
    path = os.environ.get("FAKECF_STATE")
    if not path:
        sys.stderr.write("fakecf: FAKECF_STATE is not set (path of the simulated foundation)\n")
        return 1
    with S.Locked(path) as lk:
        st = lk.state
        st["clock"] = round(st["clock"] + secs, 6)
        st["events"].append({"seq": S.next_seq(st), "tool": "sleep", "seconds": secs,
                             "time": st["clock"]})
        invariants.check(st, {"call": None, "argv": ["sleep", *args]})
        lk.commit()
    return 0
