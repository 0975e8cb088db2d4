"""The tutorial track in docs/ runs, so that no chapter can rot.

Conventions the chapters follow, and these tests hold them to:

- Every ```python block runs. The blocks of one chapter run in order, in one namespace, in
  a fresh empty working directory (a chapter may write files there).
- A block that shows output is written as a doctest (`>>>` lines, each followed by the
  output it prints); doctest compares what the code prints with what the chapter shows.
  A block without `>>>` must print nothing, so every output a reader sees is checked.
- ```bash blocks are commands for the reader and never run here.
- Every file the docs cite as `tinycnn/...py` (or `benchmarks/`, `tools/`, `tests/`) exists,
  and every `path.py:name` names a function, class or constant defined in that file.
- Every `tinycnn lessons NAME` and `tinycnn summary MODEL` the docs mention exists.
- Every picture a chapter shows exists.
- docs/README.md lists the chapters in order; each chapter ends with its exercises,
  which name exercises that exist, and every exercise is in some chapter.
"""

import ast
import doctest
import re
import textwrap
from pathlib import Path

import pytest

from tinycnn import exercises, lessons, models

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
INDEX = DOCS / "README.md"
CHAPTER_NAME = re.compile(r"^\d\d-[a-z0-9-]+\.md$")

FENCE = re.compile(r"^[ \t]*```(\w*)\n(.*?)^[ \t]*```[ \t]*$", re.MULTILINE | re.DOTALL)
CITED_PATH = re.compile(r"\b((?:tinycnn|benchmarks|tools|tests)/[\w/]*\w\.py)(?::(\w+))?")
PICTURE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)")
DOCTEST_FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS


def chapters():
    """The chapter files, in the order docs/README.md lists them."""
    listed = re.findall(r"\]\(([^)]+\.md)\)", INDEX.read_text())
    return [DOCS / name for name in listed if CHAPTER_NAME.match(name)]


def markdown_files():
    return sorted(DOCS.glob("*.md"))


def runnable_files():
    """The chapters in order, then any other page of docs/ that holds Python blocks."""
    others = [
        path
        for path in markdown_files()
        if not CHAPTER_NAME.match(path.name) and any(lang == "python" for lang, *_ in blocks(path))
    ]
    return chapters() + others


def blocks(path):
    """(language, code, line number) of every fenced block in `path`."""
    text = path.read_text()
    for match in FENCE.finditer(text):
        line = text.count("\n", 0, match.start()) + 2  # the first line of code
        yield match.group(1), textwrap.dedent(match.group(2)), line  # blocks in lists are indented


def test_the_index_lists_every_chapter_once_in_order():
    listed = chapters()
    on_disk = sorted(path for path in DOCS.glob("*.md") if CHAPTER_NAME.match(path.name))
    assert listed == on_disk, "docs/README.md must list every chapter, in file-name order"
    assert len(listed) == 9


@pytest.mark.parametrize("path", runnable_files(), ids=lambda path: path.stem)
def test_chapter_runs_and_shows_what_its_code_prints(path, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": f"docs_{path.stem.replace('-', '_')}"}
    parser, runner = doctest.DocTestParser(), doctest.DocTestRunner(optionflags=DOCTEST_FLAGS)
    for language, code, line in blocks(path):
        if language != "python":
            continue
        where = f"{path.name}, block at line {line}"
        if ">>>" in code:
            test = parser.get_doctest(code, namespace, where, str(path), line - 1)
            result = runner.run(test, clear_globs=False)
            assert result.failed == 0, f"{where}: its output differs from the chapter's"
            namespace.update(test.globs)
        else:
            assert not _prints(code), f"{where}: shows no output, so it must print nothing"
            exec(compile(code, where, "exec"), namespace)


def _prints(code):
    """Whether `code` calls print (its output would go unchecked)."""
    tree = ast.parse(code)
    return any(
        isinstance(node, ast.Call) and getattr(node.func, "id", None) == "print"
        for node in ast.walk(tree)
    )


def test_every_fence_of_the_track_stands_on_its_own_line():
    for path in [INDEX, *chapters()]:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if line.lstrip().startswith("```"):
                assert re.fullmatch(r"\s*```\w*", line), f"{path.name}:{number}: {line!r}"


def test_every_block_of_the_track_is_python_bash_or_text():
    for path in [INDEX, *chapters()]:
        for language, _, line in blocks(path):
            assert language in ("python", "bash", "text"), f"{path.name}:{line}: ```{language}"


def test_every_cited_file_and_name_exists():
    cited = 0
    for path in markdown_files():
        for file, name in CITED_PATH.findall(path.read_text()):
            cited += 1
            source = ROOT / file
            assert source.is_file(), f"{path.name} cites {file}, which does not exist"
            if name:
                definition = rf"^\s*(?:def|class)\s+{name}\b|^{name}\s*[:=]"
                assert re.search(definition, source.read_text(), re.MULTILINE), (
                    f"{path.name} cites {file}:{name}, which that file does not define"
                )
    assert cited > 0


def test_every_lesson_and_model_named_in_a_command_exists():
    named = 0
    for path in markdown_files():
        text = path.read_text()
        for lesson in re.findall(r"tinycnn lessons ([a-z][a-z0-9-]*)", text):
            named += 1
            assert lesson in lessons.names(), f"{path.name}: no lesson {lesson!r}"
        for model in re.findall(r"tinycnn summary ([a-z]\w*)", text):
            named += 1
            assert model in models.list_models(), f"{path.name}: no model {model!r}"
    assert named > 0


def test_every_picture_exists_and_is_small():
    for path in markdown_files():
        for picture in PICTURE.findall(path.read_text()):
            file = DOCS / picture
            assert file.is_file(), f"{path.name} shows {picture}, which does not exist"
            assert file.stat().st_size < 200_000, f"{picture} should stay a small PNG"


@pytest.mark.parametrize("path", chapters(), ids=lambda path: path.stem)
def test_chapter_ends_with_its_exercises(path):
    text = path.read_text()
    headings = re.findall(r"^## (.+)$", text, re.MULTILINE)
    assert headings and headings[-1] == "Exercises", f"{path.name}: last section 'Exercises'"
    names = exercise_names(text[text.rindex("## Exercises") :])
    assert names, f"{path.name}: its exercises name no `tinycnn exercises` command"
    unknown = names - set(exercises.names())
    assert not unknown, f"{path.name}: no such exercises {sorted(unknown)}"


def exercise_names(text):
    """The exercises that `tinycnn exercises start NAME` or `check DIR/NAME.py` name."""
    return set(re.findall(r"tinycnn exercises (?:start|check) (?:\S+/)?(\w+)", text))


def test_every_exercise_is_in_the_exercises_of_a_chapter():
    named = set()
    for path in chapters():
        text = path.read_text()
        named |= exercise_names(text[text.rindex("## Exercises") :])
    assert set(exercises.names()) <= named
