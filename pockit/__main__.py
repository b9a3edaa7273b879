"""``python -m pockit`` is the ``pockit`` command."""

import sys

from pockit.cli import main

sys.exit(main())
