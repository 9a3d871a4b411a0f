"""``python -m primage_tosca``: the command line."""

import sys

from .cli import main

sys.exit(main())
