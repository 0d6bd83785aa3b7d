import sys

from bnnppl.cli import main

sys.exit(main())
