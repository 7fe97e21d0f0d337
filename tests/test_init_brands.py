"""``veille init --brand``: the warnings on names its default query reads too widely."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from tests.support.project import run
from veille.brand_warnings import brand_name_warnings


def test_init_warns_of_a_brand_that_is_a_common_word_and_keeps_its_query(tmp_path: Path) -> None:
    result = run(None, "init", "--dir", str(tmp_path), "--brand", "Total", "--brand", "Danone")
    assert result.exit_code == 0, result.output
    assert result.stderr == (
        "Warning: --brand 'Total' is also a common word: its query \"Total\" finds « total » in "
        "any text, whatever its case; `case:Total` finds it only written so, and "
        "`veille query test '\"Total\"'` shows what a query finds in what is collected\n"
    )
    config = tomllib.loads((tmp_path / "config" / "veille.toml").read_text(encoding="utf-8"))
    assert [brand["query"] for brand in config["brands"]] == ['"Total"', '"Danone"']


def test_init_says_what_an_emoji_name_finds(tmp_path: Path) -> None:
    result = run(None, "init", "--dir", str(tmp_path), "--brand", "🥐 Croissant")
    assert result.exit_code == 0, result.output
    assert (
        "Warning: --brand '🥐 Croissant': 🥐 can never be matched (only letters, digits and the "
        "+, # and & of names such as « Canal+ » are looked for): its query finds « croissant » "
        "wherever it is written\n"
    ) in result.stderr
    config = tomllib.loads((tmp_path / "config" / "veille.toml").read_text(encoding="utf-8"))
    assert config["brands"][0]["query"] == '"🥐 Croissant"'


@pytest.mark.parametrize(
    "name",
    ["L'Oréal", "Crédit Agricole", "E*TRADE", "AT&T", "Canal+", "Le Bon Coin", "Danone"],
)
def test_names_read_as_written_give_no_warning(name: str) -> None:
    assert brand_name_warnings(name) == []


def test_a_symbol_among_words_is_named_once() -> None:
    [warning] = brand_name_warnings("Léa © Lyon ©")
    assert warning.startswith("'Léa © Lyon ©': © can never be matched")
    assert warning.endswith("its query finds « lea lyon » wherever it is written")


def test_a_second_init_offers_only_the_brands_not_yet_configured(tmp_path: Path) -> None:
    assert run(None, "init", "--dir", str(tmp_path), "--brand", "L'Oréal").exit_code == 0
    config = tmp_path / "config" / "veille.toml"
    before = config.read_text(encoding="utf-8")
    result = run(None, "init", "--dir", str(tmp_path), "--brand", "L’Oreal", "--brand", "Danone")
    assert result.exit_code == 0, result.output
    assert "Left out, already among its brands: L’Oreal.\n" in result.stdout
    hint = result.stdout.split("append this to it:\n\n", 1)[1].split("\n\n", 1)[0]
    assert hint == '[[brands]]\nname = "Danone"\nquery = "\\"Danone\\""\nlanguages = ["fr", "en"]'
    assert config.read_text(encoding="utf-8") == before
    # Pasted, the hint gives a configuration every command reads.
    config.write_text(before + "\n" + hint + "\n", encoding="utf-8")
    assert run(config, "db", "current").exit_code == 0
    again = run(None, "init", "--dir", str(tmp_path), "--brand", "Danone")
    assert "Left out, already among its brands: Danone.\n" in again.stdout
    assert "append this" not in again.stdout
