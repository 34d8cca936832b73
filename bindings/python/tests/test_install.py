"""`pip install` of the package, offline (no index, no build isolation:
Debian's setuptools and wheel), with libsmtpc.so bundled in the wheel."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from conftest import PACKAGE_ROOT


def test_pip_install_offline_bundles_the_library(tmp_path):
    source = tmp_path / "src"
    # A copy: pip builds in the source tree, which must stay clean.
    shutil.copytree(PACKAGE_ROOT, source, symlinks=False,
                    ignore=shutil.ignore_patterns("__pycache__", "build",
                                                  "*.egg-info", "tests"))
    target = tmp_path / "site"
    env = dict(os.environ)
    if "SMTPC_LIB" not in env:
        import smtpcore
        env["SMTPC_LIB"] = smtpcore.library_path()
    done = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-build-isolation",
         "--no-index", "--no-deps", "--no-cache-dir",
         "--disable-pip-version-check",
         "--target", str(target), str(source)],
        capture_output=True, env=env, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "smtpcore" / "libsmtpc.so.1").exists()
    assert (target / "smtpcore" / "py.typed").exists()
    # Imported from the install alone: no SMTPC_LIB, no build tree.
    env.pop("SMTPC_LIB")
    env["PYTHONPATH"] = str(target)
    probe = subprocess.run(
        [sys.executable, "-c",
         "import smtpcore; print(smtpcore.library_path()); "
         "s = smtpcore.Session(tls='none'); s.receive(b'220 mx\\r\\n'); "
         "print(s.take_transmit())"],
        capture_output=True, env=env, cwd=tmp_path, timeout=60)
    assert probe.returncode == 0, probe.stderr
    lines = probe.stdout.decode().splitlines()
    assert Path(lines[0]).resolve() == (target / "smtpcore" /
                                        "libsmtpc.so.1").resolve()
    assert lines[1] == "b'EHLO localhost\\r\\n'"


def test_finds_the_library_in_the_build_tree(tmp_path):
    # A checkout after `bazel build //bindings/c:libsmtpc.so`: the package
    # at bindings/python/smtpcore finds bazel-bin/bindings/c/libsmtpc.so
    # above it, with no SMTPC_LIB.
    import smtpcore
    real = Path(smtpcore.library_path()).resolve()
    built = tmp_path / "bazel-bin" / "bindings" / "c" / "libsmtpc.so"
    built.parent.mkdir(parents=True)
    shutil.copyfile(real, built)
    package = tmp_path / "bindings" / "python"
    shutil.copytree(PACKAGE_ROOT / "smtpcore", package / "smtpcore",
                    ignore=shutil.ignore_patterns("__pycache__", "*.so*"))
    env = {k: v for k, v in os.environ.items() if k != "SMTPC_LIB"}
    env["PYTHONPATH"] = str(package)
    probe = subprocess.run(
        [sys.executable, "-c",
         "import smtpcore; print(smtpcore.library_path())"],
        capture_output=True, env=env, cwd=tmp_path, timeout=60)
    assert probe.returncode == 0, probe.stderr
    assert Path(probe.stdout.decode().strip()) == built
