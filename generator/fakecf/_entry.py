"""Entry point of the stub executables: ``python -I -S _entry.py cf|curl|sleep ARGS...``.

Runs in isolated mode without site-packages, so it must not import ``generator``
(whose package init may pull in click/jinja): it registers this directory as a bare
package named ``fakecf`` and imports only the one stub module it needs. Each `cf`
call is a fresh process, so start-up cost is the budget here.
"""

import os
import sys


def _run() -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    pkg = type(sys)("fakecf")
    pkg.__path__ = [here]
    pkg.__package__ = "fakecf"
    sys.modules["fakecf"] = pkg
    tool, args = (sys.argv[1] if len(sys.argv) > 1 else ""), sys.argv[2:]
    if tool == "cf":
        from fakecf.cf import main
    elif tool == "curl":
        from fakecf.curl import main
    elif tool == "sleep":
        from fakecf.sleep import main
    else:
        sys.stderr.write(f"fakecf: unknown tool {tool!r} (expected cf, curl or sleep)\n")
        return 2
    return main(args)


if __name__ == "__main__":
    sys.exit(_run())
