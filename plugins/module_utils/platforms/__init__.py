# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Platform adapters: every platform-specific endpoint and shape lives behind one of these."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.activepieces import ActivepiecesAdapter
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.celigo import CeligoAdapter
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.cloudflare import CloudflareAdapter
from ansible_collections.flowops.ipaas.plugins.module_utils.platforms.superai import SuperAIAdapter

ADAPTERS = {adapter.name: adapter for adapter in (CeligoAdapter, ActivepiecesAdapter, SuperAIAdapter, CloudflareAdapter)}
