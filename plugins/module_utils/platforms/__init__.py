# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Platform adapters: every platform-specific endpoint and shape lives behind one of these.

``ADAPTERS`` maps a platform's name to its adapter class. A run uses one platform, so a class is imported the first
time its name is looked up, not with this package: a module run does not pay for the three adapters it does not use.
The imports stay plain ``from ... import`` statements (in the functions below), so Ansible still ships every adapter
with a module.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from collections.abc import Mapping


def _celigo():
    from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.celigo import CeligoAdapter
    return CeligoAdapter


def _activepieces():
    from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.activepieces import ActivepiecesAdapter
    return ActivepiecesAdapter


def _superai():
    from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.superai import SuperAIAdapter
    return SuperAIAdapter


def _cloudflare():
    from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.cloudflare import CloudflareAdapter
    return CloudflareAdapter


class _Adapters(Mapping):
    """``{name: adapter class}``, read-only; a class is imported when its name is first looked up. Iterating lists
    the names without importing anything."""

    def __init__(self, loaders):
        self._loaders = loaders
        self._classes = {}

    def __getitem__(self, name):
        adapter_class = self._classes.get(name)
        if adapter_class is None:
            adapter_class = self._classes[name] = self._loaders[name]()  # KeyError for a name that is no platform
        return adapter_class

    def __iter__(self):
        return iter(self._loaders)

    def __len__(self):
        return len(self._loaders)


ADAPTERS = _Adapters(dict(celigo=_celigo, activepieces=_activepieces, superai=_superai, cloudflare=_cloudflare))
