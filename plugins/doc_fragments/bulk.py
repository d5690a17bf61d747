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
      - M(flowops.ipaas.flow_errors_retry) counts retry keys (a key with several open errors is one, as it is retried
        once); M(flowops.ipaas.flow_errors_resolve) counts error ids.
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
      - 1 to 64 letters, digits, C(.), C(_) or C(-) (it becomes part of file names); anything else is refused
        before any request.
    type: str
  progress_file:
    description:
      - While the task runs, keep how far it is in this small JSON file, rewritten atomically at most once a second,
        with the keys C(phase), C(done), C(total), C(jobs_running) and C(updated). Phases are C(retrying) (keys sent
        of keys to send), C(waiting) (keys whose retry jobs are done) and C(resolving) (errors resolved).
      - "Progress lines by default: on the local connection (the API modules run on the controller), without C(async),
        C(become) or check mode, the module's action plugin prints what this file says under the task, at most every
        C(flowops_progress_interval) seconds (a variable, default 5; 0 prints none) and only when it changed, for example
        C(flow_errors_retry [localhost]: retried 1,200 of 2,400 keys, 3 jobs running) and the seconds since the task
        started. The lines reach the terminal and an AWX job's log; no task is added. Without this option the plugin
        gives the module a temporary file and removes it afterwards; the task's result is the same."
      - Run with C(async), the module is out of ansible-playbook's process tree, so killing or cancelling the play does
        not reach it. A play that polls it touches C(<progress_file>.poll) at every poll; once it has, the module stops
        sending (as when its controller is gone) when the touches stop for 15 seconds or four times the longest gap
        between two polls, whichever is longer.
    type: path
"""
