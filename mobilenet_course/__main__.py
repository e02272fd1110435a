"""``python -m mobilenet_course ...`` is the ``mobilenet-course`` command (what ``torchrun -m`` and the sweep run)."""

import sys

from .cli import main

sys.exit(main())
