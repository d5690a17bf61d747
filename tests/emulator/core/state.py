"""The base of every platform's emulator state."""

import threading


class EmulatorState:
    """Thread-safe: every public method takes ``lock``. ``switches`` is shared with the app; ``SWITCHES`` are the
    defaults a state made on its own (in a unit test) uses. A platform implements ``load(scenario)``."""

    SWITCHES = {}

    def __init__(self, scenario=None, switches=None):
        self.lock = threading.RLock()
        self.switches = switches if switches is not None else dict(self.SWITCHES)
        self.load(scenario or {})

    def load(self, scenario):
        raise NotImplementedError
