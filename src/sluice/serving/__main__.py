"""``python -m sluice.serving``: the prediction process (:mod:`sluice.serving.process`)."""

from __future__ import annotations

import sys

from sluice.serving.process import main

if __name__ == "__main__":  # importing the module (docs, tools) serves nothing
    sys.exit(main())
