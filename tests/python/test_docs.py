"""The project documents itself, and its docs cannot drift.

- nothing in the repository refers to files outside it (a contract kept
  elsewhere, a shared folder, an absolute path of one machine);
- every relative link of README.md and docs/*.md leads to a file;
- docs/configuration.md lists every dbt var of dbt_project.yml with its
  default, and no var that does not exist;
- the README's example summary is what scripts/pipeline.py prints for the
  committed fixture (the warehouse `make test` builds before pytest).
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT / "scripts"))

#: Written from pieces so that this file does not match itself.
OUTSIDE_REFERENCES = [
    re.compile(re.escape("SPEC" + ".md")),
    re.compile("SPEC" + r" ?§"),
    re.compile(re.escape(".." + "/shared")),
    re.compile(r"(?<![\w.])/" + "work/"),
]
#: Pages other changes add to docs/; a link to one is checked once it exists.
PAGES_WRITTEN_ELSEWHERE = {"definitions.md", "landing-reader.md", "quarantine-rules.md", "spark-cluster.md"}
FIXTURE_WAREHOUSE = REPO_ROOT / "output" / "test" / "fixture_warehouse.duckdb"


def repository_files() -> list[Path]:
    """The files git tracks or would track (not ignored), without generated data."""
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=REPO_ROOT, capture_output=True, text=True)
    if listed.returncode != 0:
        pytest.skip("needs a git checkout")
    paths = [REPO_ROOT / name for name in listed.stdout.split("\0") if name]
    return [path for path in paths if path.is_file() and not path.is_symlink()]


def outside_references(text: str) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if any(pattern.search(line) for pattern in OUTSIDE_REFERENCES):
            found.append(f"{number}: {line.strip()[:120]}")
    return found


def test_the_outside_reference_patterns_catch_what_they_must() -> None:
    assert outside_references("contract: " + "../" + "shared/" + "SP" + "EC.md")
    assert outside_references("movements (" + "SP" + "EC §4)")
    assert outside_references("see /" + "work/main/README.md")
    assert not outside_references("see docs/definitions.md and ./work/x and network/work/y")


def test_nothing_refers_to_files_outside_the_repository() -> None:
    offenders = []
    for path in repository_files():
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue  # binary files (fixtures in other encodings, images)
        offenders += [f"{path.relative_to(REPO_ROOT)}:{hit}" for hit in outside_references(text)]
    assert not offenders, "references to files outside the repository:\n" + "\n".join(offenders)


def markdown_links(text: str) -> list[str]:
    return re.findall(r"\]\(([^)\s]+)\)", text)


def test_every_link_of_the_docs_leads_to_a_file() -> None:
    pages = [REPO_ROOT / "README.md", *sorted((REPO_ROOT / "docs").glob("*.md"))]
    broken = []
    for page in pages:
        for link in markdown_links(page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", link) or link.startswith("#"):
                continue
            target = (page.parent / link.split("#", 1)[0]).resolve()
            if not target.exists() and target.name not in PAGES_WRITTEN_ELSEWHERE:
                broken.append(f"{page.relative_to(REPO_ROOT)} -> {link}")
    assert not broken, "links to missing files:\n" + "\n".join(broken)


def test_readme_fits_about_one_screen_and_every_docs_page_is_reachable() -> None:
    """The README is short and links the docs index; the index links every page."""
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= 160
    assert "docs/index.md" in markdown_links(readme)
    index = (REPO_ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    linked = {Path(link).name for link in markdown_links(index)}
    pages = ({path.name for path in (REPO_ROOT / "docs").glob("*.md")} | PAGES_WRITTEN_ELSEWHERE) - {"index.md"}
    assert pages <= linked, f"docs pages docs/index.md does not link: {sorted(pages - linked)}"


def documented_vars() -> dict[str, str]:
    """var -> default cell of the table in docs/configuration.md."""
    text = (REPO_ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    section = text.split("## dbt vars", 1)[1].split("\n## ", 1)[0]
    return dict(re.findall(r"^\| `([a-z_]+)` \| `([^|]*)` \|", section, flags=re.MULTILINE))


def test_configuration_page_lists_every_var_with_its_default() -> None:
    project_vars = yaml.safe_load((REPO_ROOT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    documented = documented_vars()
    missing = sorted(set(project_vars) - set(documented))
    stale = sorted(set(documented) - set(project_vars))
    assert not missing, f"vars of dbt_project.yml missing from docs/configuration.md: {missing}"
    assert not stale, f"docs/configuration.md lists vars dbt_project.yml does not have: {stale}"
    wrong = {name: (documented[name], project_vars[name]) for name in project_vars
             if yaml.safe_load(documented[name]) != project_vars[name]}
    assert not wrong, f"defaults in docs/configuration.md differ from dbt_project.yml (doc, project): {wrong}"


def test_configuration_check_notices_a_wrong_default(tmp_path: Path) -> None:
    documented = documented_vars()
    assert yaml.safe_load(documented["gross_margin"]) == 0.80
    assert yaml.safe_load("0.85") != 0.80 and yaml.safe_load(documented["as_of_date"]) == ""


def test_readme_example_summary_is_what_the_fixture_build_prints() -> None:
    if not FIXTURE_WAREHOUSE.exists():
        pytest.skip(f"needs {FIXTURE_WAREHOUSE.relative_to(REPO_ROOT)}, built by `make test` before pytest")
    import readme_example

    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    assert readme_example.readme_block(text) == readme_example.example_block(FIXTURE_WAREHOUSE), (
        "the README's example summary is stale: run "
        "`.venv/bin/python scripts/readme_example.py --warehouse output/test/fixture_warehouse.duckdb`")
