"""pyproject.toml builds and installs offline: what `pip install --no-build-isolation ./clients/python` gives."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import os
import shutil
import subprocess
import sys
import unittest

from support import PACKAGE_DIR, PATIENCE, TempDir


def _backend_installed() -> bool:
    try:
        installed = importlib.metadata.version("setuptools")  # not imported: it would replace distutils here
    except importlib.metadata.PackageNotFoundError:
        return False
    version = tuple(int(part) for part in installed.split(".")[:2] if part.isdigit())
    return version >= (70, 1) or importlib.util.find_spec("wheel") is not None


@unittest.skipUnless(importlib.util.find_spec("pip"), "needs pip")
class PackagingTest(unittest.TestCase):
    def test_installs_offline_with_its_type_marker_and_runs(self) -> None:
        tmp = TempDir()
        try:
            source = tmp.path / "src"
            source.mkdir()
            # A copy: the build leaves build/ and *.egg-info beside pyproject.toml.
            shutil.copy(PACKAGE_DIR / "pyproject.toml", source)
            shutil.copy(PACKAGE_DIR / "README.md", source)
            shutil.copytree(PACKAGE_DIR / "fdpass", source / "fdpass",
                            ignore=shutil.ignore_patterns("__pycache__"))
            site = tmp.path / "site"
            # Offline with the backend installed here (setuptools 70.1 or later, or an older one with wheel);
            # else pip's isolated build, which takes setuptools from the index pip is configured with.
            offline = _backend_installed()
            install = subprocess.run(
                [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--disable-pip-version-check",
                 *(["--no-build-isolation", "--no-index"] if offline else []), "--target", str(site), str(source)],
                capture_output=True, text=True, timeout=PATIENCE * 3)
            if install.returncode != 0 and not offline and "setuptools" in install.stderr and (
                    "No matching distribution" in install.stderr or "Could not find a version" in install.stderr):
                self.skipTest("no build backend: neither setuptools >= 70.1 (or setuptools and wheel) installed, "
                              "nor an index to take it from")
            self.assertEqual(0, install.returncode, install.stdout + install.stderr)
            self.assertTrue((site / "fdpass" / "py.typed").is_file(), "py.typed not installed")
            self.assertFalse((site / "tests").exists(), "the tests were installed")
            env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
            env["PYTHONPATH"] = str(site)
            run = subprocess.run([sys.executable, "-m", "fdpass", "--version"], capture_output=True, text=True,
                                 cwd=tmp.path, env=env, timeout=PATIENCE)
            self.assertEqual(0, run.returncode, run.stderr)
            self.assertIn(str(site), subprocess.run(
                [sys.executable, "-c", "import fdpass; print(fdpass.__file__)"], capture_output=True, text=True,
                cwd=tmp.path, env=env, timeout=PATIENCE).stdout)
            metadata = next(site.glob("fdpass-*.dist-info"), None)
            self.assertIsNotNone(metadata, "no dist-info")
        finally:
            tmp.cleanup()
