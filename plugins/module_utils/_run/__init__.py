# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How a module process runs: options, the run's context, fan-out, the controller, progress.

A module imports this package first: inside an AnsiballZ payload, every module_utils file imported after it is then
compiled once instead of twice (see zip_imports.py).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.flowops.ipaas.plugins.module_utils._run.zip_imports import install

install(__name__.rpartition(".")[0])
