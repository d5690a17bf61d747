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

    def other_actor_rules(self, when, item_field, item_ids):
        """The ``other_actors`` switch's rules ``{"when", <item_field>, "action", "times"?, "skip"?}`` that fire now, at
        ``when`` for one of ``item_ids``: each lets its first ``skip`` matches pass, then fires at most ``times`` (1)
        times. The caller holds ``lock`` and applies each rule it is given, as its platform would."""
        for rule in self.switches.get("other_actors") or []:
            if rule.get("when") != when or rule.get(item_field) not in item_ids or rule.get("times", 1) <= 0:
                continue
            if rule.get("skip", 0) > 0:
                rule["skip"] -= 1
                continue
            rule["times"] = rule.get("times", 1) - 1
            yield rule
