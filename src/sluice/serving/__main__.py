"""``python -m sluice.serving``: the prediction process (:mod:`sluice.serving.process`)."""

from __future__ import annotations

import sys

from sluice.serving.process import main

sys.exit(main())
