"""Puts tests/ on sys.path (so ``import emulator`` works) and loads the emulator fixtures."""

import os
import sys

TESTS_DIR = os.path.dirname(os.path.abspath(__file__))
if TESTS_DIR not in sys.path:
    sys.path.insert(0, TESTS_DIR)

pytest_plugins = ["emulator.celigo.plugin", "emulator.activepieces.plugin", "emulator.superai.plugin", "emulator.cloudflare.plugin"]
