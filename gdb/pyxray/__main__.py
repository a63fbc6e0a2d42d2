"""python3 -m pyxray: the CLI."""
import sys

from .cli import main

sys.exit(main())
