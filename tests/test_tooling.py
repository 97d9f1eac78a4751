"""How the project installs and checks itself: Python versions, the uv lock and its hashed
exports, the venv script of the Makefile, the commit hooks, the kernels' transport, the browser
lookup, and the command line's small helps (--version, named sets, papermill's -y)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.specifiers import SpecifierSet

from _chromium import find_chromium, missing_reason
from exile_report import cli, paths
from exile_report.params import ParamError

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {
    "requirements.lock": "",
    "requirements-test.lock": " --group test",
    "requirements-dev.lock": " --group dev",
}


def _pins(lock: Path) -> dict[str, tuple[str, set[str]]]:
    """{package: (version, hashes)} of a hashed requirements file."""
    text = lock.read_text(encoding="utf-8").replace("\\\n", " ")
    out = {}
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        m = re.match(r"^([A-Za-z0-9_.-]+)==(\S+)", line)
        assert m, f"{lock.name}: not a pinned requirement: {line[:80]}"
        hashes = set(re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
        assert hashes, f"{lock.name}: {m[1]} has no hash"
        out[m[1].lower()] = (m[2], hashes)
    return out


def test_every_supported_python_is_allowed():
    spec = SpecifierSet(
        tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    )
    assert all(v in spec for v in ("3.11.0", "3.12.0", "3.13.0"))


@pytest.mark.parametrize("name", sorted(LOCKS))
def test_hashed_locks_are_exports_of_uv_lock(name):
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    locked = {}
    for p in lock["package"]:
        files = [p.get("sdist", {}), *p.get("wheels", [])]
        hashes = {f["hash"].removeprefix("sha256:") for f in files if "hash" in f}
        locked.setdefault(p["name"], {})[p["version"]] = hashes
    text = (ROOT / name).read_text(encoding="utf-8")
    # the header says how the file is regenerated, with the exact export command
    assert "make lock" in text.splitlines()[1]
    assert (
        f"#   uv lock && uv export --format requirements-txt --no-default-groups --group build "
        f"--no-emit-project --no-header{LOCKS[name]} > {name}"
    ) in text
    assert "index-url" not in text and "://" not in text
    for pkg, (version, hashes) in _pins(ROOT / name).items():
        assert version in locked.get(pkg, {}), f"{name}: {pkg}=={version} is not in uv.lock"
        assert hashes <= locked[pkg][version], f"{name}: {pkg} has hashes uv.lock does not"


def test_make_report_installs_the_runtime_only():
    runtime, test, dev = (_pins(ROOT / n) for n in LOCKS)
    assert {"pytest", "playwright", "ruff", "jupyterlab"}.isdisjoint(runtime)
    assert {"papermill", "pandas", "setuptools"} <= set(runtime)
    assert set(runtime) < set(test) < set(dev)
    assert {"pytest", "playwright", "nbstripout", "pre-commit"} <= set(test)
    assert {"jupyterlab", "jupytext", "uv"} <= set(dev) - set(test)
    # the same pins wherever a package appears
    for pkg, (version, _) in runtime.items():
        assert test[pkg][0] == dev[pkg][0] == version


def _fake_python(folder: Path, version: str) -> Path:
    exe = folder / "fakepython"
    exe.write_text(f"#!/bin/sh\necho {version}\n")
    exe.chmod(0o755)
    return exe


@pytest.mark.parametrize("version", ["3.10", "3.14", "2.7"])
def test_venv_script_refuses_an_unsupported_python(tmp_path, version):
    proc = subprocess.run(
        [
            "tools/venv.sh",
            str(_fake_python(tmp_path, version)),
            str(tmp_path / "venv"),
            str(tmp_path / "venv" / ".stamp"),
            "requirements.lock",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.count("\n") == 1
    assert f"is Python {version}; the book needs Python 3.11, 3.12 or 3.13" in proc.stderr
    assert not (tmp_path / "venv").exists()


@pytest.mark.slow  # installs into new virtual environments
def test_venv_made_by_another_python_is_rebuilt_and_a_failed_install_not_trusted(tmp_path):
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    _fake_python(venv / "bin", "3.9").rename(venv / "bin" / "python")
    (venv / "marker").write_text("made by another Python\n")
    stamp = venv / ".installed"
    stamp.touch()
    lock = tmp_path / "broken.lock"  # a requirement pip cannot satisfy, without any network
    lock.write_text(f"{tmp_path}/missing-1.0-py3-none-any.whl --hash=sha256:{'0' * 64}\n")
    python = sys.executable  # the Python of these tests (a venv's python makes venvs too)
    proc = subprocess.run(
        ["tools/venv.sh", "--bare", python, str(venv), str(stamp), str(lock)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout.splitlines()[0] == (
        f"rebuilding {venv}: it was made by Python 3.9, {python} is Python "
        f"{sys.version_info.major}.{sys.version_info.minor}"
    )
    assert proc.returncode == 1
    assert f"error: installing {lock} into {venv} failed (run make again to retry)" in proc.stderr
    assert not (venv / "marker").exists()  # the old venv is gone
    assert (venv / "bin" / "python").exists()  # a new one was made by the right Python
    assert not stamp.exists()  # and is not trusted until an install succeeds


def test_make_never_installs_system_packages():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert "apt-get install" not in re.sub(r"echo .*", "", makefile)
    proc = subprocess.run(
        ["make", "--no-print-directory", "chromium", "CHROMIUM=/nonexistent"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0  # the browser tests skip; make says how to get chromium
    assert "sudo apt-get install -y chromium" in proc.stderr
    assert "the browser tests will be skipped" in proc.stderr


def test_chromium_lookup(tmp_path):
    bin_ = tmp_path / "bin"
    bin_.mkdir()
    fake = bin_ / "chromium-browser"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    assert find_chromium({"PATH": str(bin_)}) == str(fake)  # a usual name on PATH
    assert find_chromium({"PATH": str(tmp_path), "CHROMIUM": str(fake)}) == str(fake)
    assert find_chromium({"PATH": str(bin_), "CHROMIUM": "/nonexistent/chrome"}) is None
    assert find_chromium({"PATH": str(tmp_path)}) is None
    assert "tried chromium, chromium-browser" in missing_reason({"PATH": str(tmp_path)})
    assert "CHROMIUM=/x is not an executable" in missing_reason({"CHROMIUM": "/x"})


def test_one_default_raw_folder(monkeypatch):
    monkeypatch.delenv("EXILE_RAW_DIR", raising=False)
    assert paths.raw_dir() == paths.ROOT / "data" / "raw"
    monkeypatch.setenv("EXILE_RAW_DIR", "elsewhere/raw")
    assert paths.raw_dir() == paths.ROOT / "elsewhere" / "raw"
    for folder in ("src", "tests"):
        for path in (ROOT / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            assert f"shared{os.sep}data{os.sep}raw" not in text, path


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@t", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_commit_hooks_strip_notebook_outputs_and_run_ruff(tmp_path):
    venv = Path(sys.prefix)
    if not (venv / "bin" / "pre-commit").exists():
        pytest.skip("pre-commit is not installed in this environment (make venv installs it)")
    repo = tmp_path / "repo"
    repo.mkdir()
    for name in (".pre-commit-config.yaml", "pyproject.toml"):
        shutil.copy(ROOT / name, repo / name)
    (repo / ".venv").symlink_to(venv)
    clean = json.loads((ROOT / "chapters" / "04-asylum-law.ipynb").read_text(encoding="utf-8"))
    assert all(c.get("outputs", []) == [] for c in clean["cells"])
    run = json.loads(json.dumps(clean))  # the notebook after "Run all" in JupyterLab
    for i, cell in enumerate(c for c in run["cells"] if c["cell_type"] == "code"):
        cell["execution_count"] = i + 1
        cell["outputs"] = [{"output_type": "stream", "name": "stdout", "text": ["x\n"]}]
    (repo / "chapter.ipynb").write_text(json.dumps(run, indent=1), encoding="utf-8")
    (repo / "tool.py").write_text("import os\n")  # F401: imported but unused
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    env = dict(os.environ, PRE_COMMIT_HOME=str(tmp_path / "cache"))
    proc = subprocess.run(
        [str(venv / "bin" / "pre-commit"), "run", "--all-files", "nbstripout"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1, proc.stdout
    assert "files were modified by this hook" in proc.stdout
    assert json.loads((repo / "chapter.ipynb").read_text(encoding="utf-8")) == clean
    proc = subprocess.run(
        [str(venv / "bin" / "pre-commit"), "run", "--all-files", "ruff-check"],
        cwd=repo,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 1 and "F401" in proc.stdout, proc.stdout


@pytest.mark.slow  # starts a kernel
def test_kernels_use_the_ipc_transport():
    from exile_report.execute import ensure_kernel, kernel_manager

    ensure_kernel()
    km, other = kernel_manager(), kernel_manager()
    assert other.ip != km.ip  # kernels started side by side never share a socket name

    async def run() -> tuple[dict, list[Path], list[bool]]:
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            info = km.get_connection_info()
            files = [Path(f"{info['ip']}-{info[p]}") for p in ("shell_port", "iopub_port")]
            return info, files, [f.exists() for f in files]
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)

    info, files, existed = asyncio.run(run())
    assert info["transport"] == "ipc"
    assert existed == [True, True]  # the kernel listened on socket files, not TCP ports
    assert not any(f.exists() for f in files)  # removed when the kernel was stopped


def test_version(capsys):
    with pytest.raises(SystemExit) as exit_:
        cli.main(["--version"])
    assert exit_.value.code == 0
    version = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    assert capsys.readouterr().out == f"exile-report {version}\n"


def test_params_lists_the_named_sets(capsys):
    assert cli.main(["params"]) == 0
    out = capsys.readouterr().out
    sets = yaml.safe_load((ROOT / "params.yml").read_text(encoding="utf-8"))["sets"]
    listed = out.split("named sets (exile-report build --set NAME)", 1)[1].splitlines()[1:]
    assert [line.split(":")[0].strip() for line in listed] == list(sets)
    for line, (name, layer) in zip(listed, sets.items(), strict=True):
        for chapter, values in layer.items():
            for key in values:
                assert f"{chapter}.{key}=" in line, (name, line)


def test_a_list_passed_as_text_by_papermill_gets_the_y_hint():
    from exile_report.notebook import setup
    from exile_report.params import defaults

    namespace = dict(defaults()["asylum-law"])
    namespace["origins"] = "[RUS,BLR]"  # what `papermill ... -p origins [RUS,BLR]` injects
    with pytest.raises(
        ParamError, match=r"-p passes text; pass a list with -y \"origins: \[\.\.\.\]\""
    ):
        setup("asylum-law", namespace)
