"""``python -m cvmfs_mount._native ARGS``: a detached native client server for the
native backend (prints ``READY pid=<pid> ...`` once mounted)."""

import sys

from .cvmfs_mount import run_native_server

sys.exit(run_native_server(sys.argv[1:]))
