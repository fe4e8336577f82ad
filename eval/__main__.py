"""``python -m eval``: the same as ``articleqa eval``."""

import sys

from eval.cli import main

sys.exit(main())
