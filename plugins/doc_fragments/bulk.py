# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    DOCUMENTATION = r"""
options:
  batch_size:
    description:
      - Most keys sent in one request, from 1 to the platform's limit (1000 on Celigo).
      - Default is the platform's limit.
    type: int
  max_errors:
    description:
      - Refuse, before anything is sent, when the selection holds more errors than this.
        A guard against a selection much larger than the operator expected.
    type: int
  skip_disabled:
    description:
      - Do not send requests for disabled flows (instances); their errors are counted as C(skipped_disabled).
      - Without it, the platform's refusal for a disabled flow is reported the same way, per flow.
    type: bool
    default: false
  report_file:
    description:
      - Write a JSON report of the run to this file on the host running the module, listing every selected key
        with what was done and its outcome. Written atomically when the task ends, also when it fails.
      - While the task runs, each batch is appended to C(<report_file>.journal) before the next is sent, so a
        run that was interrupted can be resumed with the same O(run_id).
    type: path
  run_id:
    description:
      - Id of this run. When O(report_file) (or its journal) holds a run with the same id, keys that run
        already acted on are skipped and counted as C(already_done). Default is a new random id.
    type: str
"""
