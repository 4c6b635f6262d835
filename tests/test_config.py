"""Configs: the YAML file matches the embedded defaults; bad keys, types and ranges are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from unfoldnmf.config import Config, load_config, parse_override
from unfoldnmf.errors import InputError

DEFAULT_YAML = Path(__file__).resolve().parent.parent / "configs" / "default.yaml"


def test_default_yaml_equals_embedded_defaults():
    assert load_config(DEFAULT_YAML) == Config()


def test_default_yaml_comments_every_option():
    for line in DEFAULT_YAML.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            assert "#" in line, f"option without a comment: {line}"


def test_overrides_apply_in_order():
    config = load_config(None, [parse_override("extraction.replicates=7"), {"seed": 3}])
    assert config.extraction.replicates == 7 and config.seed == 3
    assert parse_override("extraction.k=null") == {"extraction": {"k": None}}
    assert load_config(None, [parse_override("solver.tol=1e-7")]).solver.tol == 1e-7  # YAML 1.1 reads text


@pytest.mark.parametrize("override, message", [
    ({"extraction": {"replicate": 3}}, "did you mean 'extraction.replicates'"),
    ({"extraction": {"replicates": "many"}}, "expected int"),
    ({"extraction": {"replicates": -1}}, "at least 1"),
    ({"extraction": {"k_min": 5, "k_max": 2}}, "reversed"),
    ({"device": "tpu"}, "expected one of auto, cpu, cuda"),
    ({"solver": 3}, "must be a mapping"),
    ({"extraction": {"replicates": True}}, "expected int"),
    ({"solver": {"tol": "tiny"}}, "expected float"),
    ({"refit": {"shallow_depth": -5}}, "shallow_depth"),
    ({"refit": {"shallow_gate": -1}}, "shallow_gate"),
])
def test_bad_configs_are_refused(override, message):
    with pytest.raises(InputError, match=message):
        load_config(None, [override])


def test_bad_yaml_file(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("seed: [1,\n")
    with pytest.raises(InputError, match="not valid YAML"):
        load_config(path)
