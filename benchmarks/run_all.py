"""Run every benchmark in turn (`make bench`): quality first, then the serving and scale figures.

Every script runs even when an earlier one fails its target (their RESULT lines say PASS or
FAIL); the exit status is non-zero when any script exited non-zero, and the summary names them.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = (["bench_index.py"], ["eval_semeval.py"], ["eval_variants.py"], ["ablation.py"],
           ["consolidated.py"], ["bench_encoder.py"], ["bench_seam.py"], ["bench_suggest.py"],
           ["bench_pages.py", "--uncached"], ["bench_million.py"])


def main() -> int:
    """Run each script with this interpreter; report which ones exited non-zero."""
    failed = []
    for script, *args in SCRIPTS:
        print(f"\n## {script} {' '.join(args)}\n", flush=True)
        if subprocess.call([sys.executable, str(HERE / script), *args], cwd=HERE):
            failed.append(script)
    print(f"\n{len(SCRIPTS) - len(failed)} of {len(SCRIPTS)} scripts exited 0"
          + (f"; non-zero: {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
