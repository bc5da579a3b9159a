"""`make audit`: known advisories against both pin files; anything not on the allow-list fails.

Two sources, and it says which one it used and what that leaves unchecked:

* ``--online`` (``make audit ONLINE=1``): pip-audit against the OSV service, for a machine that may reach it. This
  is the complete check.
* default, offline: the newest vulnerability database snapshot that installs from PyPI (``safety-db``, pinned in
  requirements/audit.txt). Its data ends on the snapshot's date, printed on every run: advisories published later
  were NOT checked, and the run says so plainly instead of passing quietly. (The other PyPI packages that advertise
  a database, such as appthreat-vulnerability-db, download it from elsewhere at run time, which these machines
  cannot.)

The allow-list (requirements/audit-allowlist.yml) holds the advisories of Rasa 3.6's frozen dependencies that
cannot move without leaving Rasa 3.6: each with its reason and its exposure. Rasa listens on loopback only, its
HTTP API needs the token, and no user input reaches it except the chat text through the gateway.

Exit codes: 0 nothing outside the allow-list (read the coverage line), 1 an advisory outside the allow-list,
2 the check could not run at all.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.version import InvalidVersion, Version

ROOT = Path(__file__).resolve().parent.parent
PIN_FILES = [ROOT / "requirements" / "app.txt", ROOT / "requirements" / "rasa.txt"]
ALLOWLIST = ROOT / "requirements" / "audit-allowlist.yml"


@dataclass(frozen=True)
class Finding:
    pin_file: str
    package: str
    version: str
    advisory: str  # the advisory's id (pyup.io-…, GHSA-…, PYSEC-…)
    aliases: tuple[str, ...]  # CVE ids and the like
    summary: str


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;#]+)", line.strip())
        if m:
            found[normalise(m.group(1))] = m.group(2)
    return found


def allowlist(path: Path | None = None) -> list[dict[str, str]]:
    path = path or ALLOWLIST
    entries = yaml.safe_load(path.read_text()) or []
    for entry in entries:
        missing = {"id", "package", "reason", "exposure"} - set(entry)
        if missing:
            raise SystemExit(f"{path}: entry {entry.get('id')} lacks {', '.join(sorted(missing))}")
    return entries


def allowed(finding: Finding, entries: list[dict[str, str]]) -> bool:
    names = {finding.advisory, *finding.aliases}
    return any(normalise(e["package"]) == finding.package and str(e["id"]) in names for e in entries)


def snapshot() -> tuple[dict[str, list[dict[str, object]]], datetime] | None:
    """safety-db's data files, read without importing the package (its __init__ opens a relative path)."""
    spec = importlib.util.find_spec("safety_db")
    if spec is None or not spec.submodule_search_locations:
        return None
    data = json.loads((Path(spec.submodule_search_locations[0]) / "insecure_full.json").read_text())
    meta = data.pop("$meta", {})
    return data, datetime.fromtimestamp(int(meta.get("timestamp", 0)), UTC)


def offline_findings(pin_file: Path, data: dict[str, list[dict[str, object]]]) -> list[Finding]:
    by_name = {normalise(k): v for k, v in data.items()}
    findings = []
    for package, version in pins(pin_file).items():
        try:
            parsed = Version(version)
        except InvalidVersion:
            continue
        for advisory in by_name.get(package, []):
            try:
                affected = any(parsed in SpecifierSet(str(spec)) for spec in advisory.get("specs") or [])  # type: ignore[union-attr]
            except InvalidSpecifier:
                continue
            if affected:
                cve = str(advisory.get("cve") or "")
                findings.append(Finding(pin_file.name, package, version, str(advisory.get("id")),
                                        tuple(c.strip() for c in cve.split(",") if c.strip()),
                                        str(advisory.get("advisory") or "")[:160]))
    return findings


def online_findings(pin_file: Path) -> list[Finding] | None:
    """pip-audit over OSV; None when the service cannot be reached."""
    run = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--no-deps", "--disable-pip", "--progress-spinner", "off",
         "--vulnerability-service", "osv", "--format", "json", "-r", str(pin_file)],
        capture_output=True, text=True, timeout=900,
    )
    try:
        report = json.loads(run.stdout)
    except ValueError:
        print(run.stderr.strip()[-2000:], file=sys.stderr)
        return None
    findings = []
    for dep in report.get("dependencies", []):
        for vuln in dep.get("vulns", []):
            findings.append(Finding(pin_file.name, normalise(dep["name"]), dep.get("version", "?"), vuln["id"],
                                    tuple(vuln.get("aliases") or ()), str(vuln.get("description") or "")[:160]))
    return findings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--online", action="store_true", help="pip-audit against the OSV service instead")
    args = parser.parse_args(argv)
    entries = allowlist()
    findings: list[Finding] = []
    if args.online:
        for pin_file in PIN_FILES:
            found = online_findings(pin_file)
            if found is None:
                print(f"== audit: COULD NOT CHECK {pin_file.name}: the vulnerability service is unreachable")
                return 2
            findings += found
        coverage = "coverage: every advisory the OSV service knows today"
    else:
        loaded = snapshot()
        if loaded is None:
            print("== audit: COULD NOT CHECK: no vulnerability database snapshot is installed "
                  "(pip install -r requirements/audit.txt), and --online was not asked for")
            return 2
        data, taken = loaded
        for pin_file in PIN_FILES:
            findings += offline_findings(pin_file, data)
        coverage = (f"coverage: ONLY advisories published before {taken:%Y-%m-%d} (the newest snapshot on PyPI, "
                    f"safety-db); anything published since was NOT checked: run `make audit ONLINE=1` where the "
                    f"OSV service can be reached")
    unexpected = [f for f in findings if not allowed(f, entries)]
    known = [f for f in findings if allowed(f, entries)]
    for f in known:
        entry = next(e for e in entries if normalise(e["package"]) == f.package and str(e["id"]) in
                     {f.advisory, *f.aliases})
        print(f"allowed  {f.pin_file}: {f.package}=={f.version} {entry['id']} - {entry['exposure']}")
    for f in unexpected:
        ids = ", ".join([f.advisory, *f.aliases])
        print(f"FOUND    {f.pin_file}: {f.package}=={f.version} {ids}: {f.summary}")
    stale = [e for e in entries if not any(allowed(f, [e]) for f in findings)]
    for e in stale:
        print(f"note     allow-list entry {e['id']} ({e['package']}) matched nothing in this run")
    print(f"== audit: {len(unexpected)} advisories outside the allow-list, {len(known)} allowed; {coverage}")
    return 1 if unexpected else 0


if __name__ == "__main__":
    sys.exit(main())
