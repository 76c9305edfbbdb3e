"""`python -m flowlog.dashboard`: the flowboard command."""
import sys

from flowlog.dashboard.cli import main

sys.exit(main())
