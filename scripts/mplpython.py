"""Makes sure the running interpreter can import matplotlib (import this first).

The `python3` first on PATH on the development machines is a pyenv build without
matplotlib; Debian's /usr/bin/python3 has it (python3-matplotlib). If the current
interpreter cannot import matplotlib, re-execute the same script with the first
candidate that can; if none can, exit 2 with a message saying what to install.
"""

import os
import shutil
import subprocess
import sys

_GUARD = "REHASHLAB_MPL_REEXEC"
CANDIDATES = ["/usr/bin/python3", "/usr/local/bin/python3", "python3", "python3.11", "python3.12"]


def _has_matplotlib(python):
    try:
        return subprocess.run([python, "-c", "import matplotlib, numpy"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=60).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def ensure():
    try:
        import matplotlib  # noqa: F401
        import numpy  # noqa: F401
        return
    except ImportError as e:
        reason = str(e)
    tried = []
    if not os.environ.get(_GUARD):
        for name in CANDIDATES:
            path = shutil.which(name) if os.sep not in name else (name if os.access(name, os.X_OK) else None)
            if not path or os.path.realpath(path) == os.path.realpath(sys.executable) or path in tried:
                continue
            tried.append(path)
            if _has_matplotlib(path):
                print(f"note: {sys.executable} cannot import matplotlib; re-running with {path}", file=sys.stderr)
                os.environ[_GUARD] = "1"
                sys.stdout.flush()
                os.execv(path, [path] + sys.argv)
    sys.exit(f"error: no Python with matplotlib and numpy found ({sys.executable}: {reason}; "
             f"also tried {', '.join(tried) or 'nothing'}). "
             "Install them: apt-get install python3-matplotlib python3-numpy (scripts/setup.sh does).")


ensure()
