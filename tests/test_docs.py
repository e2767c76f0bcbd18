"""The docs cannot drift: every command README.md and docs/*.md show is checked against the code.

A `propa ...` command (in a code block, a table or a sentence) must name a real command of the
click group, and every option it uses must be one of that command's parameters (with a value among
the choices, where the option has choices). A `make X` names a Makefile target, a `python
bench/X.py --opt` a bench script and one of its argparse options. Relative links, and paths into
annotate/, train/, configs/, corpus/ or bench/, must point to files that exist.
"""
from __future__ import annotations

import ast
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from annotate.cli import cli

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GUIDES = ("annotators.md", "team-lead.md", "ml-engineer.md", "benchmarks.md")
CHECKED_FENCES = {"", "sh", "bash", "shell", "console"}  # ```text (the loop's picture) is not a command
FENCE = re.compile(r"^\s*```\s*([\w-]*)\s*$")
INLINE_CODE = re.compile(r"`([^`]+)`")
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
REPO_PATH = re.compile(r"^(annotate|train|configs|corpus|bench|tests|docs)/[\w./-]*$")
PLACEHOLDER = re.compile(r"[A-Z]{2,}|[*<]")  # configs/train/NAME.yaml, semeval2023-multi/*/train
PICTURED_COMMAND = re.compile(r"propa(?: [a-z][\w-]*)+(?: --[\w-]+)*")
OPERATORS = {"&&", "||", ";", "|", "&"}
# What a doc may write before the command itself.
PREFIXES = (("$(BIN)/propa", "propa"), (".venv/bin/propa", "propa"), ("$(BIN)/python", "python"),
            (".venv/bin/python", "python"))


# -- reading markdown ------------------------------------------------------------------------

def fenced_blocks(text: str) -> Iterator[tuple[str, int, list[str]]]:
    """(language, line number of the first line, lines) of each fenced code block."""
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        start = i + 1
        i = start
        while i < len(lines) and not FENCE.match(lines[i]):
            i += 1
        yield opening.group(1).lower(), start + 1, lines[start:i]
        i += 1


def prose(text: str) -> str:
    """The text outside fenced blocks (fence lines blanked, so line numbers still hold)."""
    out, inside = [], False
    for line in text.splitlines():
        if FENCE.match(line):
            inside = not inside
            out.append("")
        else:
            out.append("" if inside else line)
    return "\n".join(out)


def command_lines(lines: list[str], first: int) -> Iterator[tuple[int, str]]:
    """Shell lines with their line numbers: `$ ` prompts dropped, `\\` continuations joined."""
    pending, start = "", first
    for number, line in enumerate(lines, first):
        if not pending:
            start = number
            line = line.strip()
            line = line[2:] if line.startswith("$ ") else line
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield start, pending + line
        pending = ""
    if pending:
        yield start, pending


def split_commands(line: str) -> list[list[str]]:
    """The commands of a shell line (split on &&, ||, ;, |), each as words; comments dropped."""
    line = line.strip()
    line = line[2:] if line.startswith("$ ") else line
    for written, plain in PREFIXES:
        line = line.replace(written, plain)
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    lexer.commenters = "#"
    commands: list[list[str]] = [[]]
    for token in lexer:
        if token in OPERATORS:
            commands.append([])
        else:
            commands[-1].append(token)
    return [words for words in commands if words]


def usage_words(span: str) -> list[str]:
    """Words of a usage line written in prose or a table: `propa x [--a\\|--b] [--c 1]`."""
    span = span.replace("\\|", "|")
    for written, plain in PREFIXES:
        span = span.replace(written, plain)
    words = []
    for word in re.sub(r"[\[\]]", " ", span).split():
        words.extend(part for part in (word.split("|") if word.startswith("-") else [word]) if part)
    return [word for word in words if word != "|"]


def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    heading = re.sub(r"[`*_]|\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    return re.sub(r"[^\w\- ]", "", heading).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    return {slug(line.lstrip("#")) for line in prose(path.read_text(encoding="utf-8")).splitlines()
            if re.match(r"^#{1,6} ", line)}


# -- what the code offers --------------------------------------------------------------------

def make_targets() -> tuple[set[str], set[str]]:
    text = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", text, flags=re.M))
    variables = set(re.findall(r"^([A-Za-z_][A-Za-z0-9_]*)\s*[?:+]?=", text, flags=re.M))
    return targets, variables


def bench_options(script: Path) -> tuple[set[str], set[str]]:
    """The --options a bench's argparse parser declares, and the names its --only accepts."""
    source = script.read_text(encoding="utf-8")
    options = set(re.findall(r"add_argument\(\s*[\"'](--[\w-]+)[\"']", source)) | {"--help", "-h"}
    names: set[str] = set()
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", "") in ("RUNS", "CASES") for t in node.targets):
            value = ast.literal_eval(node.value)
            names |= set(value)
    return options, names


def all_options() -> set[str]:
    """Every option of every propa command and every bench: what a lone `--option` may name."""
    found = {"--help", "-h", "--version"}

    def walk(command: click.Command) -> None:
        for param in command.params:
            found.update(param.opts + param.secondary_opts)
        for sub in getattr(command, "commands", {}).values():
            walk(sub)

    walk(cli)
    for script in (ROOT / "bench").glob("*.py"):
        found |= bench_options(script)[0]
    return found


# -- the checks --------------------------------------------------------------------------------

def is_placeholder(word: str) -> bool:
    return bool(PLACEHOLDER.search(word)) or word.endswith("...")


def check_repo_path(word: str) -> list[str]:
    word = word.rstrip(".,;:")
    if REPO_PATH.match(word) and not is_placeholder(word) and not (ROOT / word).exists():
        return [f"no such file or folder: {word}"]
    return []


def check_propa(words: list[str], usage: bool = False) -> list[str]:
    """Problems with one `propa ...` command (words[0] == "propa")."""
    command: click.Command = cli
    path = ["propa"]
    rest = words[1:]
    while isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        sub = command.commands.get(rest[0])
        if sub is None:
            if is_placeholder(rest[0]):
                return [f"`{' '.join(path)} {rest[0]}`: a placeholder where a command is expected"]
            return [f"`{' '.join(path)}` has no command `{rest[0]}`"]
        command, path, rest = sub, [*path, rest[0]], rest[1:]
    name = " ".join(path)
    params: dict[str, click.Parameter] = {}
    for param in command.params:
        for opt in param.opts + param.secondary_opts:
            params[opt] = param
    problems = []
    for i, word in enumerate(rest):
        problems += check_repo_path(word)
        if not word.startswith("-") or word == "-" or re.fullmatch(r"-[\d.]+", word):
            continue
        option, _, inline_value = word.partition("=")
        if option in ("--help", "-h") or (command is cli and option == "--version"):
            continue
        param = params.get(option)
        if param is None:
            problems.append(f"`{name}` has no option `{option}`")
            continue
        value = inline_value or (rest[i + 1] if i + 1 < len(rest) else "")
        if isinstance(param.type, click.Choice) and not getattr(param, "is_flag", False) and value \
                and not value.startswith("-") and not is_placeholder(value):
            for choice in (value.split("|") if usage else [value]):
                if choice not in param.type.choices:
                    problems.append(f"`{name} {option}` does not accept `{choice}` "
                                    f"(choices: {', '.join(param.type.choices)})")
    return problems


def check_make(words: list[str]) -> list[str]:
    targets, variables = make_targets()
    problems = []
    for word in words[1:]:
        if "=" in word:
            if word.split("=", 1)[0] not in variables:
                problems.append(f"the Makefile has no variable `{word.split('=', 1)[0]}`")
        elif not word.startswith("-") and word not in targets:
            problems.append(f"the Makefile has no target `{word}`")
    return problems


def check_python(words: list[str]) -> list[str]:
    if len(words) < 2 or not words[1].startswith("bench/"):
        return [f"`{' '.join(words[:2])}`: only `python bench/X.py` commands are checked"]
    script = ROOT / words[1]
    if not script.is_file():
        return [f"no such bench script: {words[1]}"]
    options, names = bench_options(script)
    problems = []
    for i, word in enumerate(words[2:], 2):
        problems += check_repo_path(word)
        if not word.startswith("-"):
            continue
        option, _, inline_value = word.partition("=")
        if option not in options:
            problems.append(f"`{words[1]}` has no option `{option}`")
        elif option == "--only" and names:
            value = inline_value or (words[i + 1] if i + 1 < len(words) else "")
            unknown = [n for n in value.split(",") if n and n not in names]
            if unknown:
                problems.append(f"`{words[1]} --only`: unknown run(s) {', '.join(unknown)}")
    return problems


def check_command(words: list[str], usage: bool = False, strict: bool = True) -> list[str]:
    """Problems with one command; with strict, a command nothing checks is itself a problem."""
    if not words:
        return []
    if words[0] == "propa":
        return check_propa(words, usage)
    if words[0] == "make":
        return check_make(words)
    if words[0] == "python":
        return check_python(words)
    return [f"`{words[0]} ...`: not a propa, make or python bench command, so nothing checks it"] if strict else []


def check_line(line: str) -> list[str]:
    """Problems with one line of a shell code block."""
    return [problem for words in split_commands(line) for problem in check_command(words)]


def check_span(span: str, known_options: set[str]) -> list[str]:
    """Problems with one inline `code` span of prose or a table."""
    span = " ".join(span.split())
    words = usage_words(span)
    if not words:
        return []
    if words[0] in ("propa", "make") or (words[0] == "python" and span.startswith(("python bench/", ".venv"))):
        return check_command(words, usage=True)
    if words[0].startswith("--") and words[0].split("=")[0] not in known_options:
        return [f"`{words[0]}` is an option of no propa command and no bench"]
    if len(words) == 1:
        return check_repo_path(words[0])
    return []


def doc_problems(doc: Path, root: Path = ROOT) -> list[str]:
    text = doc.read_text(encoding="utf-8")
    where = doc.relative_to(root)
    problems = []
    for language, first, lines in fenced_blocks(text):
        if language not in CHECKED_FENCES:  # a picture: the commands it names must still exist
            for number, line in enumerate(lines, first):
                for named in PICTURED_COMMAND.findall(line):
                    problems += [f"{where}:{number}: {p}" for p in check_propa(named.split(), usage=True)]
            continue
        for number, line in command_lines(lines, first):
            problems += [f"{where}:{number}: {p}" for p in check_line(line)]
    known = all_options()
    outside = prose(text)
    for match in INLINE_CODE.finditer(outside):
        number = outside.count("\n", 0, match.start()) + 1
        problems += [f"{where}:{number}: {p}" for p in check_span(match.group(1), known)]
    return problems


def link_problems(doc: Path, root: Path = ROOT) -> list[str]:
    outside = prose(doc.read_text(encoding="utf-8"))
    where = doc.relative_to(root)
    problems = []
    for match in LINK.finditer(outside):
        target = match.group(1)
        if re.match(r"^[a-z]+:", target):
            continue
        number = outside.count("\n", 0, match.start()) + 1
        file, _, fragment = target.partition("#")
        path = (doc.parent / file).resolve() if file else doc
        if not path.exists():
            problems.append(f"{where}:{number}: broken link {target}")
        elif fragment and path.suffix == ".md" and fragment not in anchors(path):
            problems.append(f"{where}:{number}: {file or doc.name} has no heading #{fragment}")
    return problems


# -- the tests -----------------------------------------------------------------------------------

@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_command_exists_with_its_options(doc: Path) -> None:
    assert doc_problems(doc) == []


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_points_to_a_file(doc: Path) -> None:
    assert link_problems(doc) == []


def test_the_guides_exist_and_the_readme_links_them() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for guide in GUIDES:
        assert (ROOT / "docs" / guide).is_file()
        assert f"(docs/{guide})" in readme


def test_the_readme_stays_short_and_shows_the_ci_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 100
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    shown = [line.split("#")[0].strip() for _, _, lines in fenced_blocks(readme) for line in lines]
    assert ci in shown


def test_the_annotators_guide_shows_its_screenshots() -> None:
    guide = (ROOT / "docs" / "annotators.md").read_text(encoding="utf-8")
    images = re.findall(r"!\[[^\]]*\]\((img/[^)]+)\)", guide)
    assert len(images) >= 5
    for image in images:
        path = ROOT / "docs" / image
        assert path.stat().st_size < 300_000, f"{image} is over 300 KB"


# The checker itself: a doc that names what does not exist must fail.

@pytest.mark.parametrize(("line", "expected"), [
    ("propa push x --no-such-option", "`propa push` has no option `--no-such-option`"),
    ("$ propa push x -q", "`propa push` has no option `-q`"),
    ("propa pushh sentences.jsonl", "`propa` has no command `pushh`"),
    ("propa server restart", "`propa server` has no command `restart`"),
    ("propa adjudicate d --strategy vote", "`propa adjudicate --strategy` does not accept `vote`"),
    ("propa ingest a -o b && propa pull --outt x", "`propa pull` has no option `--outt`"),
    (".venv/bin/propa train -c configs/train/nope.yaml", "no such file or folder: configs/train/nope.yaml"),
    ("make demoo", "the Makefile has no target `demoo`"),
    ("make demo PORT=1", "the Makefile has no variable `PORT`"),
    ("python bench/push_pull.py --tasks 5", "`bench/push_pull.py` has no option `--tasks`"),
    ("python bench/semeval_fr.py --only tfidf,bert", "unknown run(s) bert"),
    ("python bench/nope.py", "no such bench script: bench/nope.py"),
    ("curl http://127.0.0.1:8080/health", "nothing checks it"),
])
def test_the_checker_reports_what_does_not_exist(line: str, expected: str) -> None:
    problems = check_line(line)
    assert any(expected in problem for problem in problems), problems


@pytest.mark.parametrize("line", [
    "propa push sentences.jsonl --project 'Élection 2026' --overlap 3 --overlap-share 0.2  # a comment",
    "propa train -c configs/train/tfidf.yaml --set camembert.epochs=3 -o models/x",
    "propa adjudicate d --strategy expert --expert a@b.org",
    "propa --help",
    "make demo DEMO_PORT=8081",
    "python bench/semeval_fr.py --only tfidf,tfidf-encoder --set camembert.pooling=cls",
])
def test_the_checker_accepts_real_commands(line: str) -> None:
    assert check_line(line) == []


def test_usage_spans_in_tables_and_prose() -> None:
    known = all_options()
    assert check_span("propa export-onnx MODEL [--check-on DATA] [--no-quantize\\|--int8]", known) == []
    assert check_span("propa adjudicate PULLED [--strategy majority\\|union\\|intersection\\|expert]", known) == []
    assert "`propa adjudicate --strategy` does not accept `vote`" in " ".join(
        check_span("propa adjudicate PULLED [--strategy majority\\|vote]", known))
    assert "`propa push` has no option `--no-such-option`" in " ".join(
        check_span("propa push x [--no-such-option]", known))
    assert check_span("--no-such-option", known) == ["`--no-such-option` is an option of no propa command and no bench"]
    assert check_span("annotate/nope.py", known) == ["no such file or folder: annotate/nope.py"]


def test_a_picture_names_real_commands(tmp_path: Path) -> None:
    doc = tmp_path / "doc.md"
    doc.write_text("```text\nsentences ──propa push──▶ Label Studio ──propa pulll──▶ x\n"
                   "model ──propa preannotate --pushh──┘\n```\n", encoding="utf-8")
    assert doc_problems(doc, root=tmp_path) == ["doc.md:2: `propa` has no command `pulll`",
                                                "doc.md:3: `propa preannotate` has no option `--pushh`"]


def test_continuations_and_links(tmp_path: Path) -> None:
    lines = ["propa preannotate s.jsonl -m m \\", "    -o p.jsonl --push --no-such-flag"]
    [(number, joined)] = list(command_lines(lines, 1))
    assert number == 1 and joined.split() == "propa preannotate s.jsonl -m m -o p.jsonl --push --no-such-flag".split()
    assert check_line(joined) == ["`propa preannotate` has no option `--no-such-flag`"]
    doc = tmp_path / "doc.md"
    (tmp_path / "other.md").write_text("# A title\n\n## Sentences and ids\n", encoding="utf-8")
    doc.write_text("[ok](other.md#sentences-and-ids) [gone](missing.md) [bad](other.md#nope) "
                   "[web](https://labelstud.io)\n", encoding="utf-8")
    problems = [p.split(": ", 1)[1] for p in link_problems(doc, root=tmp_path)]
    assert problems == ["broken link missing.md", "other.md has no heading #nope"]

