"""Outlet reliability from external rating sets: a read-only layer under the source registry.

A published rating set (a CSV of ``domain,score``, e.g. Lin et al. 2023) is imported once with
`propa sources import-ratings`: it is checked, then stored under the state folder
(``<state>/ratings/<name>.jsonl``), so the CSV is never needed again and nothing of it enters the
repository. Every rating keeps its provenance: the set's name and date, the score as the set gives
it and the set's scale, and the CSV line it came from.

An article's outlet is found by its URL: the host and its parent domains, most specific first
(``www.fr.example.org/en/x`` tries ``www.fr.example.org/en``, ``www.fr.example.org``, ...,
``example.org``), so that a set that rates a section (``rfi.fr/en``) or a subdomain
(``fr.sputniknews.com``) is preferred to the whole site. The user's registry
(`configs/sources.yaml`) always wins: an outlet it knows, by one of its ``domains`` or by the
article's outlet name, gets the registry's rating, whatever the imported sets say.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import ipaddress
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Mapping
from urllib.parse import urlsplit

from annotate.errors import InputError, quote
from annotate.files import atomic_write, jsonl_records
from annotate.studio.settings import state_dir
from annotate.text.articles import read_text_file

if TYPE_CHECKING:
    from annotate.sources.registry import Registry, SourceEntry

FORMAT = "propa-ratings"
FORMAT_VERSION = 1
REGISTRY_SET = "registry"  # the set name of the registry's own ratings, refused for an import
MAX_PATH_DEPTH = 4  # path segments of a URL tried against rated sections ("newyorker.com/humor/borowitz-report")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_SCALE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(-?\d+(?:\.\d+)?)\s*$")
_ASCII_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
_PATH_SEGMENT = re.compile(r"^[^\s/?#]+$")


@dataclass(frozen=True)
class Rating:
    """One outlet's rating, with where it comes from."""

    domain: str  # the rated domain as the set writes it, maybe with a section ("rfi.fr/en")
    score: str  # as the set gives it ("0.6657858857917"), or the registry's level ("low")
    scale: tuple[float, float] | None  # the set's (lowest, highest); None for the registry's levels
    normalised: float | None  # 0 (lowest) to 1 (highest) on the set's scale; None for the registry
    set_name: str  # "lin2023", or "registry"
    date: str  # the set's date (YYYY-MM-DD), "" when not given
    provenance: str  # "lin2023, 2023-09-01; 6 professional rating sets", or the registry's basis
    origin: str = ""  # the line it was read from: "domain_pc1.csv:3584", "configs/sources.yaml:57"

    @property
    def from_registry(self) -> bool:
        return self.set_name == REGISTRY_SET

    def describe(self) -> str:
        """One line for a report: "0.67 on 0–1 (lin2023, 2023-09-01; ...)" or "low (registry: ...)"."""
        if self.scale is None:
            return f"{self.score} ({self.provenance})"
        return f"{shown_score(float(self.score), self.scale)} on {scale_text(self.scale)} ({self.provenance})"

    def to_dict(self) -> dict:
        return {"domain": self.domain, "score": self.score, "scale": list(self.scale) if self.scale else None,
                "normalised": self.normalised, "set": self.set_name, "date": self.date,
                "provenance": self.provenance, "origin": self.origin}


@dataclass(frozen=True)
class RatingSet:
    """An imported rating set: its provenance and its ratings by domain."""

    name: str
    scale: tuple[float, float]
    date: str = ""
    note: str = ""  # what the set is, shown with every rating ("6 professional rating sets")
    source: str = ""  # the CSV's file name
    sha256: str = ""  # of the CSV's bytes: which version of the set this is
    imported: str = ""  # when (UTC, ISO 8601)
    ratings: Mapping[str, Rating] = field(default_factory=dict)

    @property
    def provenance(self) -> str:
        return set_provenance(self.name, self.date, self.note)

    def __len__(self) -> int:
        return len(self.ratings)


def set_provenance(name: str, date: str, note: str) -> str:
    return ", ".join(part for part in (name, date) if part) + (f"; {note}" if note else "")


def shown_score(score: float, scale: tuple[float, float]) -> str:
    """A score with as many decimals as its scale needs: 0.67 on 0–1, 67 on 0–100."""
    decimals = max(0, 2 - math.floor(math.log10(scale[1] - scale[0])))
    return f"{score:.{decimals}f}"


def scale_text(scale: tuple[float, float]) -> str:
    return f"{scale[0]:g}–{scale[1]:g}"


# -- checking what the user gives ----------------------------------------------------------

def parse_scale(text: str) -> tuple[float, float]:
    """``"0-1"`` -> (0.0, 1.0); a ValueError saying what is expected otherwise."""
    found = _SCALE.match(text or "")
    if not found:
        raise ValueError(f"{quote(text)} is not a scale; write LOW-HIGH, e.g. 0-1 or 0-100")
    low, high = float(found.group(1)), float(found.group(2))
    if not low < high:
        raise ValueError(f"{quote(text)}: the lowest score must come first and be below the highest (e.g. 0-100)")
    return low, high


def check_scale(scale: tuple[float, float] | str) -> tuple[float, float]:
    """A scale given as text ("0-100") or as (lowest, highest)."""
    if isinstance(scale, str):
        return parse_scale(scale)
    try:
        low, high = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise ValueError(f"{quote(scale)} is not a scale (lowest, highest)") from None
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise ValueError(f"{quote(scale)}: the lowest score must come first and be below the highest")
    return low, high


def check_set_name(name: str) -> str:
    """A set name is a file name under the state folder: lower-case letters, digits, '_' or '-'."""
    if not _NAME.match(name or ""):
        raise ValueError(f"{quote(name)} must be lower-case letters, digits, '_' or '-' (e.g. lin2023)")
    if name == REGISTRY_SET:
        raise ValueError(f"{quote(name)} names the registry's own ratings; choose another name")
    return name


def check_date(date: str) -> str:
    if date:
        try:
            dt.date.fromisoformat(date)
        except ValueError:
            raise ValueError(f"{quote(date)} is not a date YYYY-MM-DD") from None
    return date


def parse_domain(text: str) -> str:
    """A rated domain as stored and matched: lower case, maybe a section after it ("rfi.fr/en").

    Host names may be internationalised ("bücher.de") or an IPv4 address; a ValueError says what
    is wrong with one that is not a domain (a URL, a space, one label, an empty label...)."""
    value = (text or "").strip().lower()
    if not value:
        raise ValueError("empty domain")
    if "://" in value or value.startswith("//"):
        raise ValueError(f"{quote(text)} is a URL, not a domain (write e.g. example.org)")
    host, _, path = value.partition("/")
    if not _is_ip(host):  # a site served from a bare IPv4 address is rated too (rating sets have a few)
        _check_host(host, text)
    segments = path.rstrip("/").split("/") if path.rstrip("/") else []  # "rfi.fr/en/" is "rfi.fr/en"
    if not all(_PATH_SEGMENT.match(segment) for segment in segments):
        raise ValueError(f"{quote(text)}: the section after the domain must be plain path segments")
    return "/".join([host, *segments])


def _check_host(host: str, text: str) -> None:
    labels = host.split(".")
    if len(labels) < 2:
        raise ValueError(f"{quote(text)} is not a domain (expected e.g. example.org)")
    for label in labels:
        if not label:
            raise ValueError(f"{quote(text)} has an empty label")
        ascii_label = label
        if not label.isascii():
            try:
                ascii_label = label.encode("idna").decode("ascii")
            except UnicodeError:
                raise ValueError(f"{quote(text)}: {quote(label)} is not a valid internationalised label") from None
        if not _ASCII_LABEL.match(ascii_label):
            raise ValueError(f"{quote(text)}: {quote(label)} is not a domain label "
                             "(letters, digits and inner '-' only)")
    if labels[-1].isdigit():
        raise ValueError(f"{quote(text)} ends with a number: neither a domain nor an IPv4 address")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.IPv4Address(host)
    except ValueError:
        return False
    return True


# -- importing ------------------------------------------------------------------------------

def import_ratings(csv_path: Path | str, name: str, scale: tuple[float, float] | str, date: str = "",
                   note: str = "", domain_column: str = "domain", score_column: str = "score",
                   encoding: str | None = None) -> RatingSet:
    """Read and check a rating set's CSV; every problem is an InputError naming the file and line."""
    path = Path(csv_path)
    try:
        name, date, scale = check_set_name(name), check_date(date), check_scale(scale)
    except ValueError as err:
        raise InputError(f"{path}: {err}") from None
    text = read_text_file(path, encoding)  # missing, empty, binary, undecodable: one line naming the file
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        header = [column.strip() for column in header or []]
        missing = [c for c in (domain_column, score_column) if c not in header]
        if missing:
            hint = "; the file seems to use ';', only ',' separates columns" if ";" in ",".join(header) else ""
            raise InputError(f"{path}:1: no column {' or '.join(quote(c) for c in missing)} (columns found: "
                             f"{', '.join(header) or 'none'}; name them with --domain-column and "
                             f"--score-column){hint}")
        domain_at, score_at = header.index(domain_column), header.index(score_column)
        provenance = set_provenance(name, date, note)
        ratings: dict[str, Rating] = {}
        first_line: dict[str, tuple[int, str]] = {}
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            line = reader.line_num
            where = f"{path}:{line}"
            if len(row) > len(header):  # "example.org,0,5": a decimal comma would read as 0
                raise InputError(f"{where}: {len(row)} fields where the header has {len(header)} "
                                 "(a decimal comma? write 0.5, or quote the field)")
            raw_domain = row[domain_at] if domain_at < len(row) else ""
            raw_score = (row[score_at] if score_at < len(row) else "").strip()
            try:
                domain = parse_domain(raw_domain)
            except ValueError as err:
                raise InputError(f"{where}: malformed domain: {err}") from None
            value = number(raw_score)
            if value is None:
                raise InputError(f"{where}: score {quote(raw_score)} of {domain} is not a number")
            if not scale[0] <= value <= scale[1]:
                raise InputError(f"{where}: score {raw_score} of {domain} is outside the declared scale "
                                 f"{scale_text(scale)} (--scale)")
            if domain in first_line:
                first, as_written = first_line[domain]
                written = "" if as_written == raw_domain.strip() else f" as {quote(as_written)}"
                raise InputError(f"{where}: duplicate domain {quote(raw_domain.strip())} "
                                 f"(already at line {first}{written})")
            first_line[domain] = (line, raw_domain.strip())
            ratings[domain] = Rating(domain, raw_score, scale, (value - scale[0]) / (scale[1] - scale[0]), name,
                                     date, provenance, f"{path.name}:{line}")
    except csv.Error as err:
        raise InputError(f"{path}:{reader.line_num}: malformed CSV ({err})") from None
    if not ratings:
        raise InputError(f"{path}: no ratings after the header")
    return RatingSet(name, scale, date, note, path.name, hashlib.sha256(path.read_bytes()).hexdigest(),
                     dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(), ratings)


def number(text: str) -> float | None:
    """A finite number, or None ("nan", "inf", "", "0,5" are not scores)."""
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


# -- storing --------------------------------------------------------------------------------

def ratings_dir(state: Path | None = None) -> Path:
    return (state or state_dir()) / "ratings"


def save_ratings(rating_set: RatingSet, state: Path | None = None) -> Path:
    """Write the set to ``<state>/ratings/<name>.jsonl`` (atomically), replacing a set of that name."""
    path = ratings_dir(state) / f"{check_set_name(rating_set.name)}.jsonl"
    header = {"format": FORMAT, "version": FORMAT_VERSION, "name": rating_set.name, "date": rating_set.date,
              "scale": list(rating_set.scale), "note": rating_set.note, "source": rating_set.source,
              "sha256": rating_set.sha256, "imported": rating_set.imported, "count": len(rating_set)}
    with atomic_write(path) as handle:
        handle.write(json.dumps(header, ensure_ascii=False) + "\n")
        for rating in rating_set.ratings.values():
            line = rating.origin.rpartition(":")[2]
            handle.write(json.dumps({"domain": rating.domain, "score": rating.score,
                                     "line": int(line) if line.isdigit() else None}, ensure_ascii=False) + "\n")
    return path


HEADER_KEYS = ("format", "version", "name", "date", "scale", "note", "source", "sha256", "imported", "count")


def load_rating_set(path: Path | str) -> RatingSet:
    """Read back what :func:`save_ratings` wrote; a file edited out of shape is refused with its line."""
    path = Path(path)
    records = jsonl_records(path, expected="not a rating set written by `propa sources import-ratings`")
    origin, header = next(records)
    if not isinstance(header, dict) or header.get("format") != FORMAT or sorted(header) != sorted(HEADER_KEYS):
        raise InputError(f"{origin}: not a rating set written by `propa sources import-ratings` "
                         f"(expected a first line with {', '.join(HEADER_KEYS)})")
    if header["version"] != FORMAT_VERSION:
        raise InputError(f"{origin}: rating set format version {quote(header['version'])} "
                         f"(this propa reads {FORMAT_VERSION}); import the set again")
    try:
        scale = check_scale(tuple(header["scale"]))
        name = check_set_name(header["name"])
        date = check_date(header["date"])
    except (ValueError, TypeError, IndexError, KeyError) as err:
        raise InputError(f"{origin}: malformed header ({err})") from None
    note, source = str(header["note"] or ""), str(header["source"] or "")
    provenance = set_provenance(name, date, note)
    ratings: dict[str, Rating] = {}
    for origin, record in records:
        if not isinstance(record, dict) or not isinstance(record.get("domain"), str) \
                or not isinstance(record.get("score"), str):
            raise InputError(f"{origin}: expected an object with a string 'domain' and 'score'")
        value = number(record["score"])
        if value is None or not scale[0] <= value <= scale[1] or record["domain"] in ratings:
            raise InputError(f"{origin}: score {quote(record['score'])} of {quote(record['domain'])} is not a "
                             f"number on {scale_text(scale)}, or the domain repeats; import the set again")
        line = record.get("line")
        ratings[record["domain"]] = Rating(record["domain"], record["score"], scale,
                                           (value - scale[0]) / (scale[1] - scale[0]), name, date, provenance,
                                           f"{source}:{line}" if line else source)
    if len(ratings) != header["count"]:
        raise InputError(f"{path}: {len(ratings)} ratings where the header says {header['count']} "
                         "(a truncated file?); import the set again")
    return RatingSet(name, scale, date, note, source, str(header["sha256"]), str(header["imported"]), ratings)


def load_ratings(state: Path | None = None, names: Iterable[str] = ()) -> list[RatingSet]:
    """The imported sets (all, by name, or those named, in that order); [] when none was imported."""
    folder = ratings_dir(state)
    names = list(names)
    if not names:
        return [load_rating_set(p) for p in sorted(folder.glob("*.jsonl"))] if folder.is_dir() else []
    out = []
    for name in names:
        path = folder / f"{name}.jsonl"
        if not _NAME.match(name) or not path.is_file():
            known = sorted(p.stem for p in folder.glob("*.jsonl")) if folder.is_dir() else []
            raise InputError(f"no rating set {quote(name)} in {folder} (imported: {', '.join(known) or 'none'}; "
                             "import one with `propa sources import-ratings`)")
        out.append(load_rating_set(path))
    return out


# -- matching -------------------------------------------------------------------------------

def domain_of(url: str) -> str:
    """The host of a URL (or of a bare "www.example.org/..."): lower case, without port, user or
    trailing dot, punycode decoded; "" when there is none."""
    text = (url or "").strip()
    if not text:
        return ""
    if "://" not in text and not text.startswith("//"):
        text = "//" + text
    try:
        host = urlsplit(text).hostname or ""
    except ValueError:  # a malformed IPv6 literal
        return ""
    host = host.rstrip(".")
    if "xn--" in host:
        labels = []
        for label in host.split("."):
            try:
                labels.append(label.encode("ascii").decode("idna") if label.startswith("xn--") else label)
            except UnicodeError:
                labels.append(label)
        host = ".".join(labels)
    return host


def candidate_keys(url: str) -> list[str]:
    """The keys a URL may be rated under, most specific first: each host from the full one down
    to its registrable-looking parent (two labels), each with its path sections, deepest first."""
    host = domain_of(url)
    if not host:
        return []
    text = url.strip() if "://" in url or url.strip().startswith("//") else "//" + url.strip()
    try:
        path = urlsplit(text).path
    except ValueError:
        path = ""
    segments = [s for s in path.lower().split("/") if s][:MAX_PATH_DEPTH]
    labels = [host] if _is_ip(host) else host.split(".")
    keys = []
    for start in range(max(1, len(labels) - 1)):
        suffix = ".".join(labels[start:])
        keys.extend("/".join([suffix, *segments[:depth]]) for depth in range(len(segments), -1, -1))
    return keys


def lookup(url: str, sets: Iterable[RatingSet], registry: Registry | None = None, outlet: str = "") -> Rating | None:
    """The rating of the outlet at ``url`` (a URL or a domain), or None when nobody rates it.

    The registry wins: an entry whose ``domains`` match the URL, or (without a match by domain)
    whose name or alias is ``outlet`` (the article's outlet name), gives its reliability with its
    basis, even "unknown" (the way to hide an external rating the team does not trust). Otherwise
    the most specific domain rated by any set; between sets rating the same domain, the first given.
    """
    keys = candidate_keys(url)
    if registry is not None:
        by_domain = registry.by_domain
        entry = next((by_domain[k] for k in keys if k in by_domain), None)
        if entry is None and outlet:
            entry = registry.match(outlet)
        if entry is not None:
            return registry_rating(entry, registry, next((k for k in keys if k in by_domain), ""))
    sets = list(sets)
    for key in keys:
        for rating_set in sets:
            rating = rating_set.ratings.get(key)
            if rating is not None:
                return rating
    return None


def registry_rating(entry: SourceEntry, registry: Registry, domain: str = "") -> Rating:
    """A registry entry's reliability as a Rating, its basis as the provenance."""
    return Rating(domain or (entry.domains[0] if entry.domains else ""), entry.reliability, None, None, REGISTRY_SET,
                  "", f"registry: {entry.name}; {entry.basis}", entry.where or registry.path)
