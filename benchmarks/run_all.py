"""Run every benchmark in turn (`make bench`): index speed/recall, then SemEval quality and ablation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = (["bench_index.py"], ["eval_semeval.py"], ["eval_variants.py"], ["ablation.py"],
           ["consolidated.py"])


def main() -> int:
    """Run each script with this interpreter; stop at the first failure."""
    for script, *args in SCRIPTS:
        print(f"\n## {script}\n", flush=True)
        code = subprocess.call([sys.executable, str(HERE / script), *args], cwd=HERE)
        if code:
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
