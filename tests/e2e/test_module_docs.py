"""Every module renders with ansible-doc, and docs/modules/ matches the modules' own documentation."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py"))


def env(collections_path):
    return dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(collections_path), PATH="%s:%s" % (BIN, os.environ.get("PATH", "")))


@pytest.mark.parametrize("module", MODULES)
def test_ansible_doc_renders_with_examples_and_return(module, collections_path):
    proc = subprocess.run([str(BIN / "ansible-doc"), "flowops.ipaas.%s" % module], capture_output=True, text=True,
                          env=env(collections_path), check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "EXAMPLES:" in proc.stdout and "RETURN VALUES:" in proc.stdout
    assert "[WARNING]" not in proc.stderr


def test_module_reference_pages_are_up_to_date(collections_path):
    proc = subprocess.run([sys.executable, str(ROOT / "scripts" / "module_docs.py"), "--check"], capture_output=True,
                          text=True, env=env(collections_path), check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_module_reference_pages_hold_no_raw_ansible_markup():
    """O(...), V(...), C(...), M(...) and fqcn#module:option references are rendered, never shown as they are."""
    raw = re.compile(r"\b[OVCMIEU]\([^)]*\)|#module:")
    found = {page.name: raw.findall(page.read_text()) for page in (ROOT / "docs" / "modules").glob("*.md")}
    assert not {name: hits for name, hits in found.items() if hits}
