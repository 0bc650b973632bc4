import sys

from plugincron.cli import main

sys.exit(main())
