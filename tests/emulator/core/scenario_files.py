"""Scenario files and generator settings, shared by every platform's emulator."""

import inspect
import json


def load(path):
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def save(scenario, path):
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(scenario, handle, separators=(",", ":"))


def generator_spec(text, generate_function, aliases=None, weights=("classifications",), hidden=("lazy",)):
    """``"name=value,..."`` -> keyword arguments for ``generate_function``, typed by its defaults.

    ``weights`` options take ``a:3/b`` (name -> weight, weight 1 when left out); ``aliases`` maps short names.
    """
    defaults = dict((name, parameter.default) for name, parameter in inspect.signature(generate_function).parameters.items()
                    if name not in hidden)
    aliases = aliases or {}
    kwargs = {}
    for part in filter(None, (piece.strip() for piece in (text or "").split(","))):
        name, sep, value = (item.strip() for item in part.partition("="))
        name = aliases.get(name, name)
        if not sep or name not in defaults:
            raise ValueError("bad generator setting %r (known: %s)" % (part, ", ".join(sorted(defaults))))
        default = defaults[name]
        if name in weights:
            kwargs[name] = {key: float(weight) if weight else 1.0 for key, dummy, weight in (item.partition(":") for item in value.split("/") if item)}
        elif isinstance(default, bool):
            kwargs[name] = value.lower() in ("1", "true", "yes")
        elif isinstance(default, int) and "." not in value:
            kwargs[name] = int(value)
        elif isinstance(default, (int, float)):
            kwargs[name] = float(value)
        else:
            kwargs[name] = value
    return kwargs
