"""Output files under a hostile or careless file system and definition: never written through a symbolic
link, never two files on one name, never a name a .gitignore line cannot match; every file genconfig writes
is ignored by git (checked with git itself); all refused before anything is written."""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.talos import yamlio
from components.talos.cli import main
from components.talos.cli.gitignore import append_gitignore, ignore_line, ignored
from components.talos.errors import ConfigError, TalosError
from components.talos.files import append_output, write_output
from components.talos.secrets import SecretsBundle
from components.talos.versions import Contract

from .conftest import ROOT

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def _repo(folder: Path) -> Path:
    subprocess.run([str(GIT), "init", "-q", str(folder)], check=True)
    return folder


def _git_ignored(repo: Path, paths: list[str]) -> set[str]:
    """git check-ignore over many paths in one call (exit 1 means none is ignored); each path is given as
    ``./path`` so that a leading ``:`` is no pathspec magic (check-ignore takes paths literally otherwise)."""
    result = subprocess.run([str(GIT), "-c", "core.ignoreCase=false", "check-ignore", "--no-index", "--stdin", "-z"],
                            cwd=repo, input="".join(f"./{path}\0" for path in paths), capture_output=True,
                            text=True, check=False)
    assert result.returncode in (0, 1), result.stderr
    return {path.removeprefix("./") for path in result.stdout.split("\0") if path}


HOSTILE_NAMES = ["#secret.yaml", "!negated.yaml", "trailing space.yaml ", "two spaces  ", "[ab].yaml",
                 "star*.yaml", "what?.yaml", "back\\slash.yaml", "\\#both.yaml", "é-ünïcode.yaml", " lead.yaml",
                 "a]b.yaml", "[!x].yaml", "**", "*", "!", "#", "x\\", "[[:alpha:]]", "tab\there.yaml"]


@needs_git
def test_every_name_is_written_as_a_line_git_matches_to_that_name_only(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    (repo / ".gitignore").write_text("".join(ignore_line(name) + "\n" for name in HOSTILE_NAMES))
    others = ["secret.yaml", "negated.yaml", "a.yaml", "stars.yaml", "whatx.yaml", "x", "lead.yaml"]
    assert _git_ignored(repo, HOSTILE_NAMES + others) == set(HOSTILE_NAMES)


@pytest.mark.parametrize("name", ["new\nline.yaml", "carriage\r", "a/b"])
def test_a_name_no_gitignore_line_can_match_is_refused(name: str) -> None:
    with pytest.raises(ConfigError, match=r"cannot be written as a \.gitignore line"):
        ignore_line(name)


PATTERNS = ["*.yaml", "!*.yaml", "/*.yaml", "**/*.yaml", "foo.yaml/", "*.yaml/", "[abc]*.yaml", "[!a]*",
            "[^a]*", "[a-c]*", "[]a]*", "[a-]*", "[[:digit:]]*", "[[:bogus:]]*", "[*", "\\#*", "\\!*", "x\\",
            "sub/*.yaml", "/sub/x", "**/x.yaml", "**/**/x.yaml", "a?c.yaml", "*\\ ", "*  ", "\\ *", "#*",
            "  #*", "\\[x].yaml", "é*", "?.yaml", "[[:alpha:]-z]*", "[\\]]*", "*[", "**", "/**", "x.yaml\r",
            "\ufeff*.yaml"]
NAMES = ["x.yaml", "a.yaml", "b.yaml", "-.yaml", "].yaml", "1.yaml", "#x", "!x", "abc.yaml", "é.yaml", "ée",
         "[x].yaml", "x.yaml ", " x", "*", "foo.yaml", "z.yaml", "\\x", "talosconfig"]


@needs_git
def test_an_existing_line_is_judged_as_git_judges_it(tmp_path: Path) -> None:
    """ignored() against git check-ignore for tricky patterns: a name counted as ignored that git would
    stage would leak its secrets, so the two must agree."""
    repo = _repo(tmp_path)
    expected: dict[str, bool] = {}
    for index, pattern in enumerate(PATTERNS):
        folder = repo / f"p{index}"
        folder.mkdir()
        (folder / ".gitignore").write_bytes(pattern.encode() + b"\n")
        for name in NAMES:
            expected[f"p{index}/{name}"] = ignored(name, pattern + "\n")
    actual = _git_ignored(repo, list(expected))
    disagreements = [(path, PATTERNS[int(path.split("/")[0][1:])], expected[path])
                     for path in expected if (path in actual) != expected[path]]
    assert disagreements == []


NAME = st.lists(st.sampled_from([*"ab#! *?[]\\-:.é^", "[:alpha:]"]), min_size=1, max_size=8).map(
    "".join).filter(lambda name: name not in (".", ".."))


@needs_git
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(NAME, min_size=1, max_size=8, unique=True))
def test_appended_lines_make_git_ignore_exactly_the_generated_names(tmp_path: Path, names: list[str]) -> None:
    repo = tmp_path / "repo"
    if not repo.exists():
        _repo(repo)
    folder = Path(tempfile.mkdtemp(dir=repo))
    append_gitignore(folder, names)
    paths = [f"{folder.name}/{name}" for name in [*names, "other.yaml"]]
    assert _git_ignored(repo, paths) == set(paths[:-1])


@functools.cache
def _bundle_yaml() -> str:
    return SecretsBundle.generate(Contract(1, 13)).to_yaml()


def _definition(tmp_path: Path, templates: list[str | None], cluster_name: str = "dev") -> Path:
    data = yamlio.load((ROOT / "config" / "dev.yaml").read_text())
    data["clusterName"] = cluster_name
    for node, template in zip(data["nodes"], templates, strict=False):
        if template is not None:
            node["filenameTmpl"] = template
    path = tmp_path / "talconfig.yaml"
    path.write_text(json.dumps(data))
    (tmp_path / "talsecret.yaml").write_text(_bundle_yaml())
    return path


def _genconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
               *extra: str) -> tuple[int, str]:
    monkeypatch.chdir(tmp_path)
    code = main(["genconfig", "-c", "talconfig.yaml", "-s", "talsecret.yaml", "-o", "out", *extra])
    return code, capsys.readouterr().err


@needs_git
@pytest.mark.parametrize(("first", "second"), [
    ("#{{ .Hostname }}.yaml", "!{{ .Hostname }} "), ("[{{ .Role }}]*{{ .Hostname }}?.yaml", "{{ .Hostname }}  "),
])
def test_every_file_genconfig_writes_is_ignored_by_git_whatever_its_name(
        first: str, second: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _repo(tmp_path)
    _definition(tmp_path, [first, second], cluster_name="c*[x]")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / ".gitignore").write_text("# mine\n!*.yaml\nfoo/\n")  # a line that un-ignores yaml
    code, err = _genconfig(tmp_path, monkeypatch, capsys)
    assert code == 0, err
    written = sorted(path.name for path in (tmp_path / "out").iterdir() if path.name != ".gitignore")
    assert len(written) == 3 and "talosconfig" in written
    assert _git_ignored(tmp_path, [f"out/{name}" for name in written]) == {f"out/{name}" for name in written}


@pytest.mark.parametrize(("templates", "message"), [
    (["same.yaml", "same.yaml"], "its file out/same.yaml is also nodes[0] (dev-cp-01)'s"),
    (["Same.yaml", "same.YAML"], "its file out/same.YAML is also nodes[0] (dev-cp-01)'s"),
    (["talosconfig", None], "its file out/talosconfig is also the talosconfig's"),
    ([".gitignore", None], "its file out/.gitignore is also the .gitignore's"),
    (["../{{ .Hostname }}.yaml", None], "is not a plain file name"),
    (["{{ .Hostname }}\n.yaml", None], "holds a control character"),
    (["x" * 300, None], "is longer than 255 bytes"),
    (["{{" * 50_000, None], "filenameTmpl: 100000 characters; expected at most 1024"),
])
def test_a_file_name_template_that_collides_escapes_or_cannot_be_written_is_refused_before_anything_is_written(
        templates: list[str | None], message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    _definition(tmp_path, templates)
    start = time.process_time()
    code, err = _genconfig(tmp_path, monkeypatch, capsys)
    assert time.process_time() - start < 2  # CPU time: other test workers share the cores
    assert code == 1 and message in err, err
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())


@pytest.mark.parametrize("link", [".gitignore", "talosconfig", "dev-dev-cp-01.yaml", "(folder)"])
def test_genconfig_never_writes_through_a_symbolic_link(link: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    _definition(tmp_path, [])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "victim").write_text("keep\n")
    if link == "(folder)":
        (tmp_path / "out").symlink_to(outside)
    else:
        (tmp_path / "out").mkdir()
        (tmp_path / "out" / link).symlink_to(outside / "victim")
    code, err = _genconfig(tmp_path, monkeypatch, capsys)
    assert code == 1 and "is a symbolic link; files are never written through one" in err, err
    assert (outside / "victim").read_text() == "keep\n" and sorted(p.name for p in outside.iterdir()) == ["victim"]
    if link != "(folder)":
        assert [p.name for p in (tmp_path / "out").iterdir()] == [link]


def test_a_link_planted_after_the_checks_is_still_never_followed(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    """With the checks out of the way (a link planted between check and write), O_NOFOLLOW and the rename
    relative to the folder still never write through it."""
    from components.talos import files

    monkeypatch.setattr(files, "_check_target", lambda *_: None)
    victim = tmp_path / "victim"
    victim.write_text("keep\n")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "config.yaml").symlink_to(victim)
    write_output(tmp_path / "out" / "config.yaml", "secret\n")  # the rename replaces the link itself
    assert not (tmp_path / "out" / "config.yaml").is_symlink()
    assert (tmp_path / "out" / "config.yaml").read_text() == "secret\n"
    (tmp_path / "out" / ".gitignore").symlink_to(victim)
    with pytest.raises(TalosError, match=r"\.gitignore: cannot write: Too many levels of symbolic links"):
        append_output(tmp_path / "out" / ".gitignore", "line\n")
    assert victim.read_text() == "keep\n"


def test_a_special_file_where_an_output_goes_is_refused(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / ".gitignore")
    start = time.perf_counter()
    with pytest.raises(ConfigError, match=r"\.gitignore: is a named pipe \(FIFO\); expected a regular file"):
        append_gitignore(tmp_path, ["x.yaml"])
    assert time.perf_counter() - start < 10  # opening a FIFO with no writer would block for good
