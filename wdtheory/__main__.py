"""``python -m wdtheory``: the command line (:mod:`wdtheory.cli`)."""

import sys

from wdtheory.cli import main

sys.exit(main())
