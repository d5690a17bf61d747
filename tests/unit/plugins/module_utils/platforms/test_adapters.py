# -*- coding: utf-8 -*-
# Copyright: (c) 2026, flowops.ipaas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""platforms/__init__.py: ``ADAPTERS`` names every platform and imports an adapter only when its name is looked up."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess
import sys

import pytest

from ansible_collections.flowops.ipaas.plugins.module_utils.platforms import ADAPTERS

PACKAGE = "ansible_collections.flowops.ipaas.plugins.module_utils.platforms"


def test_every_name_maps_to_the_adapter_of_that_name():
    assert list(ADAPTERS) == ["celigo", "activepieces", "superai", "cloudflare"]
    assert len(ADAPTERS) == 4
    for name, adapter_class in ADAPTERS.items():
        assert adapter_class.name == name
        assert ADAPTERS.get(name) is adapter_class  # imported once


def test_an_unknown_name_is_no_platform():
    assert ADAPTERS.get("zapier") is None
    assert "zapier" not in ADAPTERS
    with pytest.raises(KeyError):
        ADAPTERS["zapier"]  # pylint: disable=pointless-statement


def test_only_the_adapter_looked_up_is_imported():
    code = ("import sys; from %s import ADAPTERS; names = sorted(ADAPTERS); ADAPTERS['celigo']; "
            "print(sorted(m.rsplit('.', 1)[1] for m in sys.modules if m.startswith('%s.') and m.rsplit('.', 1)[1] in names))"
            % (PACKAGE, PACKAGE))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path for path in sys.path if path))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "['celigo']"
