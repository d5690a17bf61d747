# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
attributes:
  action_group:
    description: Use C(group/flowops.ipaas.ipaas) in C(module_defaults) to set connection options once.
    support: full
    membership:
      - flowops.ipaas.ipaas
"""

    INFO = r"""
attributes:
  check_mode:
    description: Reads only; runs the same in check mode.
    support: full
  diff_mode:
    description: Reads only; nothing to show.
    support: none
"""

    ACTION = r"""
attributes:
  check_mode:
    description: In check mode no write request is sent; the result shows what would be done.
    support: full
  diff_mode:
    description: With C(--diff) the result shows what would change.
    support: full
"""
