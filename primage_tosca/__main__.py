"""``python -m primage_tosca``: the command line."""

import sys

from .cli import run

sys.exit(run())
