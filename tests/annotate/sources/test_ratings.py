"""External outlet ratings: the import's checks (one line naming file and line), matching by domain
(subdomains, sections, longest match), the registry's precedence, the stored set's round trip, and
the real Lin et al. (2023) set where the shared data folder is present."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from annotate.cli import cli
from annotate.errors import InputError
from annotate.sources.ratings import (RatingSet, candidate_keys, domain_of, import_ratings, load_rating_set,
                                      load_ratings, lookup, parse_domain, parse_scale, ratings_dir, save_ratings)
from annotate.sources.registry import load_registry
from tests.conftest import ROOT

LIN2023 = ROOT.parent / "shared" / "data" / "domain-ratings-lin2023" / "domain_pc1.csv"
RATED = "domain,score\nexample.org,0.8\nfr.example.org,0.3\nrfi.fr,0.6\nrfi.fr/en,0.9\nbücher.de,0.5\n1.2.3.4,0\n"


def write(tmp_path: Path, text: str | bytes, name: str = "set.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def rated(tmp_path: Path, text: str = RATED, name: str = "demo", scale: str = "0-1", **kwargs) -> RatingSet:
    return import_ratings(write(tmp_path, text, f"{name}.csv"), name, scale, **kwargs)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


# -- the import ---------------------------------------------------------------------------

def test_each_rating_keeps_its_provenance(tmp_path: Path) -> None:
    ratings = rated(tmp_path, "domain,pc1\nlemonde.fr,0.6657858857917\n", name="lin2023", date="2023-09-01",
                    note="6 professional rating sets", score_column="pc1")
    rating = ratings.ratings["lemonde.fr"]
    assert (rating.score, rating.scale, rating.set_name, rating.date) == ("0.6657858857917", (0.0, 1.0), "lin2023",
                                                                         "2023-09-01")
    assert rating.normalised == pytest.approx(0.6657858857917)
    assert rating.origin == "lin2023.csv:2"
    assert rating.describe() == "0.67 on 0–1 (lin2023, 2023-09-01; 6 professional rating sets)"
    assert not rating.from_registry
    assert (ratings.source, len(ratings.sha256), len(ratings)) == ("lin2023.csv", 64, 1)


def test_another_scale_is_normalised_and_shown_as_given(tmp_path: Path) -> None:
    ratings = rated(tmp_path, "site,note\nexample.org,72\nexample.net,0\n", scale="0-100",
                    domain_column="site", score_column="note")
    assert ratings.ratings["example.org"].normalised == pytest.approx(0.72)
    assert ratings.ratings["example.org"].describe() == "72 on 0–100 (demo)"
    assert ratings.ratings["example.net"].normalised == 0


@pytest.mark.parametrize("text, scale", [("0-1", (0.0, 1.0)), ("0-100", (0.0, 100.0)), (" -1 - 1 ", (-1.0, 1.0)),
                                         ("1-5", (1.0, 5.0)), ("0.5-2.5", (0.5, 2.5))])
def test_parse_scale(text: str, scale: tuple[float, float]) -> None:
    assert parse_scale(text) == scale


@pytest.mark.parametrize("text", ["", "1", "0..1", "1-0", "0-0", "a-b", "0-1-2"])
def test_a_wrong_scale_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="scale|lowest"):
        parse_scale(text)


@pytest.mark.parametrize("text, expected", [
    ("Example.ORG", "example.org"), (" www.example.org ", "www.example.org"), ("rfi.fr/en/", "rfi.fr/en"),
    ("newyorker.com/humor/borowitz-report", "newyorker.com/humor/borowitz-report"), ("bücher.de", "bücher.de"),
    ("82.221.129.208", "82.221.129.208"), ("a-b.co.uk", "a-b.co.uk"),
])
def test_parse_domain(text: str, expected: str) -> None:
    assert parse_domain(text) == expected


@pytest.mark.parametrize("text", ["", "example", "https://example.org", "//example.org", "exa mple.org",
                                  "example..org", "-example.org", "ex_ample.org", "example.org//x", "1.2.3.999",
                                  "example.org/a b", "exa@mple.org"])
def test_a_malformed_domain_is_refused(text: str) -> None:
    with pytest.raises(ValueError):
        parse_domain(text)


@pytest.mark.parametrize("content, message", [
    ("domain,pc1\nexample.org,0.5\n", r"set.csv:1: no column 'score' \(columns found: domain, pc1; name them "),
    ("site,score\nexample.org,0.5\n", r"set.csv:1: no column 'domain' \(columns found: site, score;"),
    ("domain;score\nexample.org;0.5\n", r"set.csv:1: no column 'domain' or 'score' .*seems to use ';'"),
    ("domain,score\nexample.org,0.5\nexample.net,high\n", r"set.csv:3: score 'high' of example.net is not a number"),
    ("domain,score\nexample.org,\n", r"set.csv:2: score '' of example.org is not a number"),
    ("domain,score\nexample.org,nan\n", r"set.csv:2: score 'nan' of example.org is not a number"),
    ("domain,score\nexample.org,0,5\n", r"set.csv:2: 3 fields where the header has 2 \(a decimal comma\?"),
    ("domain,score\nexample.org,1.2\n", r"set.csv:2: score 1.2 of example.org is outside the declared scale 0–1"),
    ("domain,score\nexample.org,-0.1\n", r"set.csv:2: score -0.1 of example.org is outside the declared scale"),
    ("domain,score\nexample.org,0.5\n\nexample.net,0.1\nexample.org,0.7\n",
     r"set.csv:5: duplicate domain 'example.org' \(already at line 2\)"),
    ("domain,score\nexample.org,0.5\nEXAMPLE.org/,0.7\n",
     r"set.csv:3: duplicate domain 'EXAMPLE.org/' \(already at line 2 as 'example.org'\)"),
    ("", r"set.csv: empty file"),
    (" \n\n", r"set.csv: empty file"),
    ("domain,score\n", r"set.csv: no ratings after the header"),
    (b"domain,score\nexample.org,0.5\x00\n", r"set.csv: binary file \(it contains NUL bytes\)"),
    (b"domain,score\nexempl\xe9.org,0.5\n", r"set.csv: not valid UTF-8 \(byte 0xe9 at offset 19\); .*--encoding"),
    ("domain,score\nhttps://example.org/,0.5\n", r"set.csv:2: malformed domain: 'https://example.org/' is a URL"),
    ("domain,score\nexample,0.5\n", r"set.csv:2: malformed domain: 'example' is not a domain"),
    ("domain,score\nexa mple.org,0.5\n", r"set.csv:2: malformed domain: .*'exa mple' is not a domain label"),
    ("domain,score\n,0.5\n", r"set.csv:2: malformed domain: empty domain"),
    ('domain,score\n"example.org,0.5\n', r"set.csv:\d+: malformed domain"),  # an unclosed quote swallows the rest
])
def test_a_bad_file_is_one_line_naming_file_and_line(tmp_path: Path, content: str | bytes, message: str) -> None:
    path = write(tmp_path, content)
    with pytest.raises(InputError, match=message) as raised:
        import_ratings(path, "demo", "0-1")
    assert "\n" not in str(raised.value)
    assert str(raised.value).startswith(str(path))


def test_a_bad_name_date_or_scale_in_python_is_an_input_error(tmp_path: Path) -> None:
    path = write(tmp_path, RATED)
    for kwargs, message in (({"name": "../x"}, "lower-case"), ({"name": "registry"}, "registry's own"),
                            ({"date": "01/09/2023"}, "not a date"), ({"scale": (1, 0)}, "lowest")):
        with pytest.raises(InputError, match=message):
            import_ratings(path, **{"name": "demo", "scale": "0-1", **kwargs})


def test_a_missing_file_or_a_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        import_ratings(tmp_path / "absent.csv", "demo", "0-1")
    with pytest.raises(InputError, match="a folder, not a file"):
        import_ratings(tmp_path, "demo", "0-1")


def test_another_encoding_when_told(tmp_path: Path) -> None:
    path = write(tmp_path, "domain,score\nbücher.de,0.5\n".encode("latin-1"))
    assert list(import_ratings(path, "demo", "0-1", encoding="latin-1").ratings) == ["bücher.de"]


# -- matching -----------------------------------------------------------------------------

@pytest.mark.parametrize("url, domain", [
    ("https://www.Example.org:8443/a?b#c", "www.example.org"), ("www.example.org/x", "www.example.org"),
    ("example.org", "example.org"), ("https://user@example.org./", "example.org"),
    ("https://xn--bcher-kva.de/x", "bücher.de"), ("", ""), ("https://", ""), ("http://[::1", ""),
])
def test_domain_of(url: str, domain: str) -> None:
    assert domain_of(url) == domain


def test_candidate_keys_go_from_the_most_specific() -> None:
    assert candidate_keys("https://www.fr.example.org/en/b/") == [
        "www.fr.example.org/en/b", "www.fr.example.org/en", "www.fr.example.org", "fr.example.org/en/b",
        "fr.example.org/en", "fr.example.org", "example.org/en/b", "example.org/en", "example.org"]
    assert candidate_keys("http://1.2.3.4/x") == ["1.2.3.4/x", "1.2.3.4"]


@pytest.mark.parametrize("url, domain", [
    ("https://example.org/article", "example.org"), ("https://www.example.org/", "example.org"),
    ("https://m.example.org/a", "example.org"), ("http://fr.example.org/a", "fr.example.org"),
    ("https://www.fr.example.org/a", "fr.example.org"), ("example.org", "example.org"),
    ("https://www.rfi.fr/en/africa/x", "rfi.fr/en"), ("https://www.rfi.fr/fr/x", "rfi.fr"),
    ("https://rfi.fr/EN", "rfi.fr/en"), ("https://xn--bcher-kva.de/", "bücher.de"), ("http://1.2.3.4/x", "1.2.3.4"),
    ("https://example.net/", None), ("https://org/", None), ("not a url", None), ("", None),
])
def test_the_longest_domain_rated_wins(tmp_path: Path, url: str, domain: str | None) -> None:
    rating = lookup(url, [rated(tmp_path)])
    assert (rating.domain if rating else None) == domain


def test_the_most_specific_domain_of_any_set_then_the_first_set(tmp_path: Path) -> None:
    first = rated(tmp_path, "domain,score\nexample.org,0.1\n", name="first")
    second = rated(tmp_path, "domain,score\nexample.org,0.9\nfr.example.org,0.5\n", name="second")
    assert lookup("https://fr.example.org/x", [first, second]).set_name == "second"
    assert lookup("https://example.org/x", [first, second]).set_name == "first"
    assert lookup("https://example.org/x", [second, first]).set_name == "second"
    assert lookup("https://example.org/x", []) is None


# -- the registry wins --------------------------------------------------------------------

REGISTRY = """version: 1
sources:
  - id: exemple
    name: "L'Exemple"
    kind: independent_media
    reliability: low
    basis: "équipe test, 2026-01-01"
    domains: [example.org, www.other.net]
  - id: vague
    name: "Le Vague"
    kind: independent_media
    reliability: unknown
    basis: "pas encore évalué"
    domains: [rfi.fr]
  - id: sans-domaine
    name: "Le Sans-Domaine"
    kind: independent_media
    reliability: reliable
    basis: "équipe test"
"""


def write_registry(tmp_path: Path, text: str = REGISTRY) -> Path:
    return write(tmp_path, text, "sources.yaml")


def test_the_registry_wins_by_domain(tmp_path: Path) -> None:
    registry = load_registry(write_registry(tmp_path))
    sets = [rated(tmp_path)]
    rating = lookup("https://fr.example.org/x", sets, registry)  # the set rates fr.example.org itself: still ours
    assert (rating.score, rating.scale, rating.normalised, rating.domain) == ("low", None, None, "example.org")
    assert rating.from_registry and rating.origin.startswith(f"{tmp_path / 'sources.yaml'}:")
    assert rating.describe() == "low (registry: L'Exemple; équipe test, 2026-01-01)"
    assert lookup("https://www.other.net/", sets, registry).score == "low"
    assert lookup("https://other.net/", sets, registry) is None  # www.other.net does not cover its parent
    # "unknown" in the registry hides the set's rating: the team's way to set an external rating aside
    assert lookup("https://www.rfi.fr/en/x", sets, registry).score == "unknown"
    assert lookup("https://bücher.de/", sets, registry).set_name == "demo"  # unknown to the registry


def test_the_registry_wins_by_outlet_name(tmp_path: Path) -> None:
    registry = load_registry(write_registry(tmp_path))
    sets = [rated(tmp_path, "domain,score\nsans-domaine.fr,0.1\n")]
    assert lookup("https://sans-domaine.fr/a", sets, registry).set_name == "demo"
    rating = lookup("https://sans-domaine.fr/a", sets, registry, outlet="le sans domaine")
    assert (rating.score, rating.domain) == ("reliable", "")
    assert lookup("", [], registry, outlet="Sans-Domaine").score == "reliable"
    assert lookup("https://sans-domaine.fr/a", sets, registry, outlet="Autre journal").set_name == "demo"


def test_registry_domains_are_checked(tmp_path: Path) -> None:
    duplicate = REGISTRY.replace("domains: [rfi.fr]", "domains: [WWW.other.net]")
    with pytest.raises(InputError, match=r"sources.yaml:\d+: duplicate domain 'WWW.other.net' \(already at "
                                         r".*sources.yaml:\d+\)"):
        load_registry(write_registry(tmp_path, duplicate))
    with pytest.raises(InputError, match=r"sources.yaml:\d+: malformed domain: 'https://rfi.fr' is a URL"):
        load_registry(write_registry(tmp_path, REGISTRY.replace("[rfi.fr]", "['https://rfi.fr']")))
    with pytest.raises(InputError, match=r"sources.yaml:\d+: 'domains' must be a list of domains"):
        load_registry(write_registry(tmp_path, REGISTRY.replace("[rfi.fr]", "rfi.fr")))
    registry = load_registry(write_registry(tmp_path, REGISTRY.replace("[rfi.fr]", "[rfi.fr, RFI.fr/]")))
    assert registry.entries[1].domains == ("rfi.fr",)


def test_the_shipped_registry_still_loads_without_domains() -> None:
    registry = load_registry()
    assert len(registry) > 10 and all(entry.domains == () for entry in registry.entries)


# -- storing ------------------------------------------------------------------------------

def test_save_and_load_round_trip(tmp_path: Path) -> None:
    ratings = rated(tmp_path, date="2023-09-01", note="a note")
    path = save_ratings(ratings, tmp_path / "state")
    assert path == tmp_path / "state" / "ratings" / "demo.jsonl"
    assert load_rating_set(path) == ratings
    assert load_ratings(tmp_path / "state") == [ratings]
    assert load_ratings(tmp_path / "state", ["demo"]) == [ratings]
    assert load_ratings(tmp_path / "nothing") == []
    with pytest.raises(InputError, match=r"no rating set 'other' in .*ratings \(imported: demo; import one"):
        load_ratings(tmp_path / "state", ["other"])


def test_the_state_folder_is_propa_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROPA_HOME", str(tmp_path / "home"))
    assert ratings_dir() == tmp_path / "home" / "ratings"


@pytest.mark.parametrize("edit, message", [
    (lambda lines: lines[:-1], r"demo.jsonl: 5 ratings where the header says 6 \(a truncated file\?\)"),
    (lambda lines: [lines[0].replace('"version": 1', '"version": 9'), *lines[1:]], r"demo.jsonl:1: .*version 9"),
    (lambda lines: ['{"a": 1}', *lines[1:]], r"demo.jsonl:1: not a rating set written by `propa sources"),
    (lambda lines: [*lines[:2], lines[2].replace('"0.3"', '"7"'), *lines[3:]], r"demo.jsonl:3: score '7' of"),
    (lambda lines: [*lines[:2], "[1, 2]", *lines[3:]], r"demo.jsonl:3: expected an object"),
])
def test_a_stored_set_edited_out_of_shape_is_refused(tmp_path: Path, edit, message: str) -> None:
    path = save_ratings(rated(tmp_path), tmp_path / "state")
    path.write_text("\n".join(edit(path.read_text(encoding="utf-8").splitlines())) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=message):
        load_rating_set(path)


# -- the command --------------------------------------------------------------------------

def test_import_ratings_command_stores_replaces_and_lists(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROPA_HOME", str(tmp_path / "home"))
    source = write(tmp_path, "domain,pc1\nexample.org,0.8\nrfi.fr,0.6\n")
    result = run("sources", "ratings")
    assert result.exit_code == 0 and "no rating set in" in result.output
    args = ("sources", "import-ratings", str(source), "--name", "demo", "--scale", "0-1", "--score-column", "pc1",
            "--date", "2023-09-01", "--note", "two outlets")
    result = run(*args)
    stored = tmp_path / "home" / "ratings" / "demo.jsonl"
    assert result.exit_code == 0, result.output
    assert result.output == f"2 ratings on 0–1 from set.csv as demo (2023-09-01) -> {stored}\n"
    source.write_text("domain,pc1\nexample.org,0.1\n", encoding="utf-8")
    result = run(*args)
    assert result.output.endswith("(replaced the demo imported before)\n")
    source.unlink()  # the CSV is never needed again
    assert [len(s) for s in load_ratings()] == [1]
    listing = run("sources", "ratings").output.splitlines()
    assert listing[0].split() == ["name", "date", "ratings", "scale", "source", "imported", "note"]
    assert listing[1].split()[:5] == ["demo", "2023-09-01", "1", "0–1", "set.csv"]
    assert listing[1].endswith("two outlets")
    result = run("sources", "ratings", "https://www.example.org/a", "https://rfi.fr/")
    assert result.output.splitlines() == [
        "https://www.example.org/a: 0.10 on 0–1 (demo, 2023-09-01; two outlets) [example.org, set.csv:2]",
        "https://rfi.fr/: not rated"]
    registry = write_registry(tmp_path)
    result = run("sources", "ratings", "https://www.example.org/a", "--registry", str(registry))
    assert result.output.startswith("https://www.example.org/a: low (registry: L'Exemple; équipe test, 2026-01-01) "
                                    "[example.org, ")


def test_a_failed_import_keeps_the_set_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROPA_HOME", str(tmp_path / "home"))
    source = write(tmp_path, RATED)
    assert run("sources", "import-ratings", str(source), "--name", "demo", "--scale", "0-1").exit_code == 0
    before = (tmp_path / "home" / "ratings" / "demo.jsonl").read_bytes()
    source.write_text("domain,score\nexample.org,2\n", encoding="utf-8")
    result = run("sources", "import-ratings", str(source), "--name", "demo", "--scale", "0-1")
    assert result.exit_code == 1
    assert result.output.splitlines() == [f"Error: {source}:2: score 2 of example.org is outside the declared "
                                          "scale 0–1 (--scale)"]
    assert (tmp_path / "home" / "ratings" / "demo.jsonl").read_bytes() == before
    assert sorted(p.name for p in (tmp_path / "home" / "ratings").iterdir()) == ["demo.jsonl"]


@pytest.mark.parametrize("option, value, message", [
    ("--scale", "0_1", "is not a scale"), ("--scale", "100-0", "lowest score must come first"),
    ("--name", "Lin 2023", "lower-case"), ("--date", "2023-02-30", "not a date"),
])
def test_a_wrong_option_is_a_usage_error(tmp_path: Path, option: str, value: str, message: str) -> None:
    args = {"--name": "demo", "--scale": "0-1", option: value}
    result = CliRunner().invoke(cli, ["sources", "import-ratings", str(write(tmp_path, RATED)),
                                      *[part for item in args.items() for part in item]])
    assert result.exit_code == 2
    assert f"Invalid value for '{option}'" in result.output and message in result.output


# -- the real set (Lin et al., 2023), read from the shared data folder, never copied --------

@pytest.mark.skipif(not LIN2023.exists(), reason="the shared domain-ratings-lin2023 folder is not here")
def test_lin2023_imports_and_rates_french_outlets(tmp_path: Path) -> None:
    ratings = import_ratings(LIN2023, "lin2023", "0-1", "2023-09-01", "6 professional rating sets",
                             score_column="pc1")
    assert len(ratings) == 11520
    assert ratings.ratings["reuters.com"].normalised == 1.0
    path = save_ratings(ratings, tmp_path)
    sets = load_ratings(tmp_path)
    assert sets == [ratings] and path.stat().st_size < 2_000_000
    lemonde = lookup("https://www.lemonde.fr/politique/article/2024/01/01/x.html", sets)
    assert (lemonde.domain, lemonde.describe()) == (
        "lemonde.fr", "0.67 on 0–1 (lin2023, 2023-09-01; 6 professional rating sets)")
    assert lookup("https://www.rfi.fr/en/x", sets).domain == "rfi.fr/en"  # a rated section
    assert lookup("https://www.xinhuanet.com/", sets).domain == "www.xinhuanet.com"  # rated apart from its parent
    assert lookup("https://m.epochtimes.fr/", sets).domain == "m.epochtimes.fr"
    # The README's caveat, seen in the data: a far-right aggregator above a national daily.
    assert lookup("https://www.fdesouche.com/", sets).normalised > lemonde.normalised
