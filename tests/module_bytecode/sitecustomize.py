"""A bytecode cache for the module processes of the test runs (tests/playbook_env.py puts this folder on PYTHONPATH).

Ansible ships each module to its Python process as a zip of sources (AnsiballZ), and zipimport compiles every source
file in it on every run, as it does not write .pyc files: 0.15 to 0.2 s of CPU a module task, close to half of what a
task costs. This keeps the compiled code of each source in FLOWOPS_TEST_BYTECODE_CACHE, keyed by the source's SHA-256,
the interpreter's cache tag and its bytecode magic number, so a task compiles only what changed. The code run is the
same; the file name in its tracebacks is the run's own. Without FLOWOPS_TEST_BYTECODE_CACHE it does nothing; the
product never uses it.
"""

import os


def _install(directory):
    # pylint: disable=import-outside-toplevel
    import _imp
    import hashlib
    import importlib.util
    import marshal
    import sys
    import zipimport

    compile_source = getattr(zipimport, "_compile_source", None)
    if compile_source is None:  # a Python whose zipimport compiles elsewhere: nothing to cache
        return
    tag = "%s-%s" % (sys.implementation.cache_tag, importlib.util.MAGIC_NUMBER.hex())

    def compile_cached(pathname, source):
        path = os.path.join(directory, "%s-%s" % (hashlib.sha256(source).hexdigest(), tag))
        try:
            with open(path, "rb") as stream:
                code = marshal.loads(stream.read())
        except (OSError, EOFError, ValueError, TypeError):
            code = compile_source(pathname, source)
            if code is not None:
                _store(path, marshal.dumps(code))
            return code
        _imp._fix_co_filename(code, pathname)  # pylint: disable=protected-access
        return code

    zipimport._compile_source = compile_cached  # pylint: disable=protected-access


def _store(path, data):
    """Write ``data`` to ``path`` whole or not at all (test workers share the cache)."""
    temp = "%s.%d.tmp" % (path, os.getpid())
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(temp, "wb") as stream:
            stream.write(data)
        os.replace(temp, path)
    except OSError:
        try:
            os.unlink(temp)
        except OSError:
            pass


if os.environ.get("FLOWOPS_TEST_BYTECODE_CACHE"):
    _install(os.environ["FLOWOPS_TEST_BYTECODE_CACHE"])
