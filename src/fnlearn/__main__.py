"""``python -m fnlearn ...`` is the ``fnlearn`` command."""

import sys

from fnlearn.cli import main

if __name__ == "__main__":
    sys.exit(main())
