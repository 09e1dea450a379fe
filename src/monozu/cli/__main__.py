import sys

from monozu.cli import main

sys.exit(main())
