"""Stand-in for the get-pip.py that ansible-test downloads to bootstrap pip in its sanity venvs.

ansible-test fetches get-pip.py from its own file server, which is out of reach here; everything else it
installs comes from PyPI. scripts/test.sh places this file in ansible-test's cache (under .build/, never
the user's home) with the name ansible-test looks for. Like get-pip.py it takes pip-install arguments;
it runs the pip wheel bundled with Python's ensurepip to install the requested pip from the index.
"""

import glob
import os
import subprocess
import sys

import ensurepip


def main():
    bundled = sorted(glob.glob(os.path.join(os.path.dirname(ensurepip.__file__), "_bundled", "pip-*.whl")))
    if not bundled:
        sys.exit("ansible_test_get_pip: this Python's ensurepip has no bundled pip wheel")
    # get-pip.py's own flags; pip itself does not know them.
    args = [arg for arg in sys.argv[1:] if arg not in ("--no-setuptools", "--no-wheel")]
    command = [sys.executable, os.path.join(bundled[-1], "pip"), "install", "--upgrade", "--force-reinstall"] + args
    sys.exit(subprocess.call(command))


if __name__ == "__main__":
    main()
