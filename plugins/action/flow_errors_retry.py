# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""flow_errors_retry runs as any module does; on the local connection its progress is printed while it works
(plugins/plugin_utils/progress.py)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flowops.ipaas.plugins.plugin_utils.progress import ProgressAction


class ActionModule(ProgressAction):
    PURPOSE = "retry"
