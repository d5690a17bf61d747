#!/usr/bin/env python
"""Write docs/modules/<module>.md from each module's own documentation (``ansible-doc --json``).

    scripts/module_docs.py           regenerate the pages
    scripts/module_docs.py --check   exit 1 when a page is missing or out of date (used by the tests)
"""

import json
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "modules"
MARKUP = [
    # O(fqcn#module:option) names another module's option: the option, and the module's page.
    (re.compile(r"O\(flowops\.ipaas\.([a-z_]+)#module:([^)]*)\)"), r"[`\2`](\1.md) of `flowops.ipaas.\1`"),
    (re.compile(r"[OV]\(([^)]*)\)"), r"`\1`"),
    (re.compile(r"RV\(([^)]*)\)"), r"`\1`"),
    (re.compile(r"[CE]\(([^)]*)\)"), r"`\1`"),
    (re.compile(r"M\(([^)]*)\)"), r"`\1`"),
    (re.compile(r"U\(([^)]*)\)"), r"\1"),
    (re.compile(r"I\(([^)]*)\)"), r"*\1*"),
]


def plain(text):
    if isinstance(text, list):
        text = " ".join(text)
    text = str(text or "")
    for pattern, replacement in MARKUP:
        text = pattern.sub(replacement, text)
    return text.replace("|", "\\|").replace("\n", " ")


def options_table(options, prefix=""):
    rows = []
    for name in sorted(options):
        spec = options[name]
        kind = spec.get("type", "str")
        if spec.get("elements"):
            kind += " of " + spec["elements"]
        default = spec.get("default")
        extra = []
        if spec.get("required"):
            extra.append("**required**")
        if default not in (None, [], {}):
            extra.append("default `%s`" % json.dumps(default))
        if spec.get("choices"):
            extra.append("choices: " + ", ".join("`%s`" % c for c in spec["choices"]))
        if spec.get("aliases"):
            extra.append("aliases: " + ", ".join(spec["aliases"]))
        rows.append("| `%s%s` | %s | %s %s |" % (prefix, name, kind, plain(spec.get("description")), "; ".join(extra)))
        if spec.get("suboptions"):
            rows.extend(options_table(spec["suboptions"], prefix + name + "."))
    return rows


def returns_table(returns, prefix=""):
    rows = []
    for name in sorted(returns):
        spec = returns[name]
        cells = (prefix, name, spec.get("type", ""), plain(spec.get("returned")), plain(spec.get("description")))
        rows.append("| `%s%s` | %s | %s | %s |" % cells)
        if spec.get("contains"):
            rows.extend(returns_table(spec["contains"], prefix + name + "."))
    return rows


def page(name, data):
    doc, examples, returns = data["doc"], data.get("examples") or "", data.get("return") or {}
    lines = ["# flowops.ipaas.%s" % name, "", "_Generated from the module's documentation by scripts/module_docs.py; "
             "edit the module, not this page._", "", plain(doc.get("short_description")), ""]
    lines += ["- " + plain(item) for item in doc.get("description", [])]
    lines += ["", "## Options", "", "| Option | Type | Description |", "|---|---|---|"] + options_table(doc.get("options", {}))
    attributes = doc.get("attributes") or {}
    if attributes:
        lines += ["", "## Attributes", "", "| Attribute | Support | Description |", "|---|---|---|"]
        lines += ["| %s | %s | %s |" % (key, value.get("support"), plain(value.get("description"))) for key, value in sorted(attributes.items())]
    lines += ["", "## Examples", "", "```yaml", examples.strip(), "```", "", "## Return values", "",
              "| Key | Type | Returned | Description |", "|---|---|---|---|"] + returns_table(returns)
    return "\n".join(lines) + "\n"


def modules():
    return sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py") if not p.name.startswith("_"))


def main(argv):
    check = "--check" in argv
    names = modules()
    proc = subprocess.run(["ansible-doc", "--json", "-t", "module"] + ["flowops.ipaas.%s" % n for n in names],
                          capture_output=True, text=True, check=False)
    if proc.returncode:
        print(proc.stderr, file=sys.stderr)
        return proc.returncode
    data = json.loads(proc.stdout)
    stale = []
    OUT.mkdir(parents=True, exist_ok=True)
    for name in names:
        text = page(name, data["flowops.ipaas.%s" % name])
        target = OUT / ("%s.md" % name)
        if target.exists() and target.read_text(encoding="utf-8") == text:
            continue
        stale.append(target.name)
        if not check:
            target.write_text(text, encoding="utf-8")
    index = "# Module reference\n\n" + "".join("- [flowops.ipaas.%s](%s.md)\n" % (n, n) for n in names)
    if not (OUT / "README.md").exists() or (OUT / "README.md").read_text(encoding="utf-8") != index:
        stale.append("README.md")
        if not check:
            (OUT / "README.md").write_text(index, encoding="utf-8")
    if check and stale:
        print("docs/modules is out of date (%s): run scripts/module_docs.py" % ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
