"""``python -m skxray.cli``: the ``skxray`` command."""

import sys

from ._main import main

sys.exit(main())
