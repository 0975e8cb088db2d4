"""`python -m tinycnn`: see `tinycnn.cli`."""

import sys

from tinycnn.cli import main

sys.exit(main())
