"""Methodology files: loading, every kind of error, fingerprints, checks against data."""

from __future__ import annotations

from pathlib import Path

import pytest

from citygeo.errors import ConfigError
from citygeo.scoring import canonical_json, load_methodology, methodology_sha256, validate_against

GOOD = """
version = "2025.1"
note = "first version"

[[domains]]
id = "hardship"
index = "risk"

[[domains]]
id = "mechanisms"
index = "protective"

[[measures]]
id = "unemployed_pct"
domain = "hardship"
direction = "risk"

[[measures]]
id = "centres"
domain = "mechanisms"
direction = "protective"
from = "assets"
kinds = ["youth_centre"]
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "methodology.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads_with_documented_defaults(tmp_path: Path) -> None:
    m = load_methodology(write(tmp_path, GOOD))
    assert (
        m.normalisation,
        m.aggregation,
        m.min_count,
        m.min_sample,
        m.outliers,
        m.exponential,
    ) == (
        "minmax",
        "arithmetic",
        5,
        30,
        "off",
        False,
    )
    centres = m.measures[1]
    assert (centres.source, centres.per, centres.denominator) == ("assets", 1000.0, "population")
    assert m.measures[0].indicator == "unemployed_pct"


def test_sha_ignores_stated_defaults_but_not_weights(tmp_path: Path) -> None:
    plain = load_methodology(write(tmp_path, GOOD))
    stated = load_methodology(
        write(
            tmp_path,
            GOOD.replace('kinds = ["youth_centre"]', 'kinds = ["youth_centre"]\nper = 1000'),
        )
    )
    heavier = load_methodology(
        write(tmp_path, GOOD.replace('direction = "risk"', 'direction = "risk"\nweight = 2'))
    )
    assert canonical_json(plain) == canonical_json(stated)
    assert methodology_sha256(plain) == methodology_sha256(stated)
    assert methodology_sha256(plain) != methodology_sha256(heavier)
    assert " " not in canonical_json(plain).replace("first version", "")
    assert len(methodology_sha256(plain)) == 64


def test_toml_syntax_error_gives_file_and_line(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD.replace('index = "risk"', 'index = "risk'))
    with pytest.raises(ConfigError, match=r"methodology\.toml: not valid TOML: .*line 7"):
        load_methodology(path)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the methodology file"):
        load_methodology(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ('domain = "hardship"', 'domain = "hardshp"'),
            r"domain 'hardshp' is not defined; defined domains: hardship, mechanisms",
        ),
        (
            ('direction = "risk"', 'direction = "risk"\nweight = -1'),
            (
                r"measures\[0\]\.weight \(id 'unemployed_pct'\): "
                r"Input should be greater than or equal to 0"
            ),
        ),
        (
            ('direction = "risk"', 'direction = "risk"\nweight = 0'),
            r"all measure weights of domain 'hardship' are zero",
        ),
        (
            ('note = "first version"', 'note = "x"\nnormalisation = "minmaxx"'),
            (
                r"normalisation 'minmaxx' is not known; "
                r"valid: goalposts, minmax, percentile, rank, zscore"
            ),
        ),
        (
            ('note = "first version"', 'note = "x"\naggregation = "median"'),
            r"aggregation 'median' is not known; valid: arithmetic, geometric, sum",
        ),
        (
            ('note = "first version"', 'note = "x"\nnormalisation = "goalposts"'),
            r"needs goalposts_year",
        ),
        (
            (
                'note = "first version"',
                'note = "x"\nnormalisation = "zscore"\naggregation = "geometric"',
            ),
            r"geometric' needs non-negative",
        ),
        (
            ('direction = "risk"', 'direction = "risk"\nwieght = 2'),
            r"measures\[0\]\.wieght .*Extra inputs are not permitted",
        ),
        (
            ('kinds = ["youth_centre"]', 'kinds = ["youth_centre"]\ncategories = ["x"]'),
            r"fields \['categories'\] do not apply to a measure from 'assets'",
        ),
        (('kinds = ["youth_centre"]', ""), r"an asset measure needs kinds"),
        (
            ('direction = "protective"', 'direction = "sideways"'),
            r"measures\[1\]\.direction \(id 'centres'\)",
        ),
    ],
)
def test_bad_files_name_the_problem(tmp_path: Path, change: tuple[str, str], message: str) -> None:
    path = write(tmp_path, GOOD.replace(*change))
    with pytest.raises(ConfigError, match=message) as info:
        load_methodology(path)
    assert str(path) in str(info.value)


def test_domain_weights_all_zero(tmp_path: Path) -> None:
    text = GOOD.replace('index = "risk"', 'index = "risk"\nweight = 0')
    with pytest.raises(ConfigError, match="all domain weights of the risk index are zero"):
        load_methodology(write(tmp_path, text))


def test_validate_against_lists_missing_names(tmp_path: Path) -> None:
    m = load_methodology(write(tmp_path, GOOD))
    validate_against(m, {"unemployed_pct"}, set(), {"youth_centre"}, set())
    with pytest.raises(
        ConfigError,
        match=r"measure 'centres': asset kind 'youth_centre' is not in the data \(known: library\)",
    ):
        validate_against(m, {"unemployed_pct"}, set(), {"library"}, set())
    with pytest.raises(ConfigError, match=r"indicator 'unemployed_pct' is not in the data"):
        validate_against(m, {"income"}, set(), {"youth_centre"}, set())
