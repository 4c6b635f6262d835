"""The documentation cannot drift from the code: the configuration page lists exactly the config keys and
their defaults, and CI runs the test command the README states."""

from __future__ import annotations

import dataclasses
import importlib.util
import re
import shlex
from pathlib import Path

from unfoldnmf.config import Config

ROOT = Path(__file__).resolve().parents[1]


def _config_reference():
    spec = importlib.util.spec_from_file_location("config_reference", ROOT / "scripts" / "config_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _yaml_text(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, list):
        return "[" + ", ".join(_yaml_text(item) for item in value) + "]"
    return str(value)


def test_configuration_page_lists_exactly_the_config_keys_and_defaults():
    """Walk the dataclasses here (not through the generator) and read the committed page's tables."""
    expected = {}
    config = Config()
    for field in dataclasses.fields(config):
        value = getattr(config, field.name)
        if dataclasses.is_dataclass(value):
            for sub in dataclasses.fields(value):
                expected[f"{field.name}.{sub.name}"] = _yaml_text(getattr(value, sub.name))
        else:
            expected[field.name] = _yaml_text(value)
    page = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([a-z_.0-9]+)` \| [^|]+ \| `([^`]*)` \|", page, flags=re.M)
    listed = dict(rows)
    assert len(rows) == len(listed), "a key is listed twice"
    assert listed == expected


def test_configuration_page_is_what_the_script_writes():
    module = _config_reference()
    assert (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8") == module.reference(), \
        "docs/configuration.md is out of date: run python scripts/config_reference.py"


def test_every_configuration_key_has_a_description():
    module = _config_reference()
    page = module.reference()
    for key in module.keys_and_defaults():
        row = next(line for line in page.splitlines() if line.startswith(f"| `{key}` |"))
        assert row.rstrip(" |").split("|")[-1].strip(), f"{key} has no description"


def test_ci_runs_the_test_command_the_readme_states():
    """README's "Run the tests" block and .ci/run install the same things and run the same pytest."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Run the tests", 1)[1].split("\n## ", 1)[0]
    command = re.search(r"```bash\n(.*?)```", section, flags=re.S).group(1).strip()
    steps = [shlex.split(step) for step in command.split("&&")]
    ci = [shlex.split(line) for line in (ROOT / ".ci" / "run").read_text().splitlines()
          if line.startswith("python3 -m")]
    install = next(step for step in ci if step[:4] == ["python3", "-m", "pip", "install"])
    readme_install = next(step for step in steps if step[:4] == ["python3", "-m", "pip", "install"])
    assert [w for w in readme_install if w != "--quiet"] == [w for w in install if w != "--quiet"]
    assert ["python3", "-m", "pytest", "-q"] in steps and ["python3", "-m", "pytest", "-q"] in ci
