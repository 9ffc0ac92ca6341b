#!/usr/bin/env python3
"""Validate `onnx-opt audit --format sarif` output against the SARIF 2.1.0 JSON Schema.

The schema is the OASIS one (sarif-2.1.0-rtm.5.json, JSON Schema draft-04). It is
not kept in this repository; it is taken, in this order, from:
  --schema FILE, $SARIF_SCHEMA, the cache ($XDG_CACHE_HOME or ~/.cache)/onnx-opt/,
  or the npm package @microsoft/jest-sarif (MIT), which ships it in
  lib/schemas/: fetched with `npm pack` and cached.

With --audit-json the files are `--format json` reports instead, checked against
reports/audit.schema.json of this tree (draft 2020-12).

    tools/validate_sarif.py report.sarif...
    tools/validate_sarif.py --audit-json report.json...

Exit 0 when every file is valid, 1 when one is not, 2 when no schema can be had.
Needs the Python module jsonschema.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

NPM_PACKAGE = "@microsoft/jest-sarif@1.0.0-beta.0"
MEMBER = "package/lib/schemas/sarif-2.1.0-rtm.5.json"
SCHEMA_NAME = "sarif-2.1.0-rtm.5.json"


def cache_dir():
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "onnx-opt")


def from_npm(dest):
    """Fetch the schema from the npm package into dest; None on failure."""
    if not shutil.which("npm"):
        return None
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["npm", "pack", "--silent", NPM_PACKAGE], cwd=tmp,
                           capture_output=True, text=True)
        if r.returncode != 0:
            sys.stderr.write(r.stderr)
            return None
        tgz = [f for f in os.listdir(tmp) if f.endswith(".tgz")]
        if not tgz:
            return None
        with tarfile.open(os.path.join(tmp, tgz[0])) as tf:
            data = tf.extractfile(MEMBER).read()
    json.loads(data)  # refuse to cache something that is not JSON
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    tmpdest = dest + ".tmp"
    with open(tmpdest, "wb") as f:
        f.write(data)
    os.replace(tmpdest, dest)
    return dest


def sarif_schema(explicit):
    for p in (explicit, os.environ.get("SARIF_SCHEMA")):
        if p:
            return p
    cached = os.path.join(cache_dir(), SCHEMA_NAME)
    if os.path.exists(cached):
        return cached
    return from_npm(cached)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("files", nargs="+")
    ap.add_argument("--schema", help="the SARIF 2.1.0 schema file")
    ap.add_argument("--audit-json", action="store_true",
                    help="check audit JSON reports against reports/audit.schema.json")
    a = ap.parse_args()
    try:
        import jsonschema
    except ImportError:
        print("validate_sarif.py: the Python module jsonschema is missing", file=sys.stderr)
        return 2

    if a.audit_json:
        path = a.schema or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                                        "reports", "audit.schema.json")
    else:
        path = sarif_schema(a.schema)
    if not path or not os.path.exists(path):
        print("validate_sarif.py: no SARIF schema (pass --schema FILE or make npm reachable)",
              file=sys.stderr)
        return 2
    with open(path) as f:
        schema = json.load(f)
    cls = jsonschema.validators.validator_for(schema)
    cls.check_schema(schema)
    validator = cls(schema, format_checker=cls.FORMAT_CHECKER)

    bad = 0
    for fn in a.files:
        with open(fn) as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        if not a.audit_json and doc.get("version") != "2.1.0":
            print(f"{fn}: version is {doc.get('version')!r}, not '2.1.0'")
            bad += 1
        for e in errors[:20]:
            where = "/".join(str(x) for x in e.absolute_path) or "(root)"
            print(f"{fn}: {where}: {e.message[:300]}")
        if errors:
            bad += 1
        else:
            n = sum(len(r.get("results", [])) for r in doc.get("runs", [])) \
                if not a.audit_json else len(doc.get("models", []))
            print(f"{fn}: valid against {os.path.basename(path)} "
                  f"({n} {'models' if a.audit_json else 'results'})")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
