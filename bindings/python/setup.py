"""Builds the smtpcore wheel with libsmtpc.so bundled inside the package.

The library is taken from, in order: $SMTPC_LIB; the Bazel build tree of
the repository this directory is in (bazel-bin/bindings/c/libsmtpc.so);
or it is built with `bazel build //bindings/c:libsmtpc.so` when Bazel and
the repository are there. It is copied into the package as libsmtpc.so.1
(its SONAME), so the installed package needs no other step. Metadata is
is here too (there is deliberately no pyproject.toml: with one, pip
builds in an isolated environment and fetches setuptools from the network,
so `pip install ./bindings/python` would fail offline; without one, pip
uses Debian's setuptools in place).
"""

import os
import shutil
import subprocess
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py
from setuptools.dist import Distribution

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
BUILT = REPO / "bazel-bin" / "bindings" / "c" / "libsmtpc.so"


def find_library() -> Path:
    env = os.environ.get("SMTPC_LIB")
    if env:
        return Path(env)
    if BUILT.exists():
        return BUILT
    if (REPO / "WORKSPACE").exists() and shutil.which("bazel"):
        subprocess.run(["bazel", "build", "--config=opt",
                        "//bindings/c:libsmtpc.so"], cwd=REPO, check=True)
        out = subprocess.run(["bazel", "info", "--config=opt", "bazel-bin"],
                             cwd=REPO, check=True, capture_output=True,
                             text=True).stdout.strip()
        return Path(out) / "bindings" / "c" / "libsmtpc.so"
    raise SystemExit(
        "smtpcore: libsmtpc.so not found: set SMTPC_LIB, or build it with "
        "`bazel build //bindings/c:libsmtpc.so` in the repository")


class BuildPyWithLibrary(build_py):
    """build_py that also copies libsmtpc.so into the built package."""

    def run(self):
        super().run()
        lib = find_library()
        target = Path(self.build_lib) / "smtpcore" / "libsmtpc.so.1"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lib, target)
        os.chmod(target, 0o755)


class BinaryDistribution(Distribution):
    """The wheel holds a native library: platform-specific."""

    def has_ext_modules(self):
        return True


setup(
    name="smtpcore",
    version="1.2.0",
    description=("SMTP client: blocking send(), asyncio, and a sans-I/O "
                 "session, over the smtpcore C library"),
    long_description=(HERE / "README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    python_requires=">=3.11",
    license="see the smtpcore repository",
    classifiers=[
        "Programming Language :: Python :: 3",
        "Framework :: AsyncIO",
        "Topic :: Communications :: Email",
        "Typing :: Typed",
    ],
    packages=["smtpcore"],
    package_data={"smtpcore": ["py.typed", "libsmtpc.so.1"]},
    zip_safe=False,
    cmdclass={"build_py": BuildPyWithLibrary},
    distclass=BinaryDistribution,
)
