# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""flow_instance_info runs as any module does, its payload built as every flowops.ipaas module's is
(plugins/plugin_utils/action.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flowops.ipaas.plugins.plugin_utils.action import FlowopsAction


class ActionModule(FlowopsAction):
    pass
