"""A PEP 517 build backend for the losscheck Python package, standard library only.

``pip install ./Conformance/python`` must work without a network: setuptools needs the ``wheel``
package to build a wheel before version 70.1 (this machine's Python 3.11 venvs have setuptools
65.5 and no ``wheel``), and build isolation would download both. This backend has no
requirements: it reads ``pyproject.toml``'s ``[project]`` table and zips ``src/losscheck`` into
a pure-Python wheel (``py3-none-any``) with its entry points (the ``pytest11`` plugin, the
``losscheck-py`` script). It also builds editable wheels (PEP 660: a ``.pth`` file naming
``src``) and source distributions.
"""

import base64
import hashlib
import io
import os
import re
import tarfile
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = "losscheck"

try:
    import tomllib
except ImportError:  # Python < 3.11: the few fields this file uses, read by pattern
    tomllib = None


def _project():
    with open(os.path.join(ROOT, "pyproject.toml"), "rb") as f:
        data = f.read()
    if tomllib is not None:
        return tomllib.loads(data.decode("utf-8"))["project"]
    text = data.decode("utf-8")

    def field(name):
        m = re.search(rf'^{name}\s*=\s*"([^"]*)"', text, re.M)
        return m.group(1) if m else ""

    return {"name": field("name"), "version": field("version"), "description": field("description"),
            "requires-python": field("requires-python"), "readme": field("readme"),
            "entry-points": {"pytest11": {"losscheck": "losscheck.pytest_plugin"}},
            "scripts": {"losscheck-py": "losscheck.cli:main"},
            "optional-dependencies": {"numpy": ["numpy"], "test": ["pytest"]}}


def _metadata(project):
    lines = ["Metadata-Version: 2.1", f"Name: {project['name']}", f"Version: {project['version']}",
             f"Summary: {project.get('description', '')}"]
    if project.get("requires-python"):
        lines.append(f"Requires-Python: {project['requires-python']}")
    for requirement in project.get("dependencies", []):
        lines.append(f"Requires-Dist: {requirement}")
    for extra, requirements in project.get("optional-dependencies", {}).items():
        lines.append(f"Provides-Extra: {extra}")
        for requirement in requirements:
            lines.append(f'Requires-Dist: {requirement}; extra == "{extra}"')
    readme = project.get("readme")
    body = ""
    if readme:
        lines.append("Description-Content-Type: text/markdown")
        with open(os.path.join(ROOT, readme), encoding="utf-8") as f:
            body = f.read()
    return "\n".join(lines) + "\n\n" + body


def _entry_points(project):
    sections = dict(project.get("entry-points", {}))
    if project.get("scripts"):
        sections["console_scripts"] = project["scripts"]
    out = []
    for group, entries in sections.items():
        out.append(f"[{group}]")
        out.extend(f"{name} = {target}" for name, target in entries.items())
        out.append("")
    return "\n".join(out)


def _dist_info(project):
    return f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"


def _wheel_name(project):
    return f"{project['name'].replace('-', '_')}-{project['version']}-py3-none-any.whl"


def _record_line(name, data):
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"{name},sha256={digest},{len(data)}"


def _write_wheel(directory, files, project):
    """Writes a wheel of ``files`` ([(archive name, bytes)]) plus the dist-info; returns its name."""
    info = _dist_info(project)
    files = list(files) + [
        (f"{info}/METADATA", _metadata(project).encode("utf-8")),
        (f"{info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: losscheck_build\nRoot-Is-Purelib: true\nTag: py3-none-any\n"),
        (f"{info}/entry_points.txt", _entry_points(project).encode("utf-8")),
    ]
    record = [_record_line(name, data) for name, data in files] + [f"{info}/RECORD,,"]
    files.append((f"{info}/RECORD", ("\n".join(record) + "\n").encode("utf-8")))
    name = _wheel_name(project)
    with zipfile.ZipFile(os.path.join(directory, name), "w", zipfile.ZIP_DEFLATED) as wheel:
        for archive_name, data in files:
            entry = zipfile.ZipInfo(archive_name, date_time=(2020, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            wheel.writestr(entry, data, zipfile.ZIP_DEFLATED)
    return name


def _package_files():
    source = os.path.join(ROOT, "src", PACKAGE)
    out = []
    for name in sorted(os.listdir(source)):
        if name.endswith(".py"):
            with open(os.path.join(source, name), "rb") as f:
                out.append((f"{PACKAGE}/{name}", f.read()))
    return out


# MARK: PEP 517 hooks


def get_requires_for_build_wheel(config_settings=None):
    return []


def get_requires_for_build_sdist(config_settings=None):
    return []


def get_requires_for_build_editable(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    project = _project()
    info = _dist_info(project)
    os.makedirs(os.path.join(metadata_directory, info), exist_ok=True)
    with open(os.path.join(metadata_directory, info, "METADATA"), "w", encoding="utf-8") as f:
        f.write(_metadata(project))
    with open(os.path.join(metadata_directory, info, "entry_points.txt"), "w", encoding="utf-8") as f:
        f.write(_entry_points(project))
    return info


prepare_metadata_for_build_editable = prepare_metadata_for_build_wheel


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    return _write_wheel(wheel_directory, _package_files(), _project())


def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
    pth = (os.path.join(ROOT, "src") + "\n").encode("utf-8")
    return _write_wheel(wheel_directory, [(f"__editable__.{PACKAGE}.pth", pth)], _project())


def build_sdist(sdist_directory, config_settings=None):
    project = _project()
    base = f"{project['name']}-{project['version']}"
    name = f"{base}.tar.gz"
    with tarfile.open(os.path.join(sdist_directory, name), "w:gz") as tar:
        for directory, subdirs, files in os.walk(ROOT):
            subdirs[:] = sorted(d for d in subdirs if d not in ("__pycache__", ".pytest_cache", "build", "dist")
                                and not d.endswith(".egg-info"))
            for file in sorted(files):
                if file.endswith(".pyc"):
                    continue
                path = os.path.join(directory, file)
                tar.add(path, arcname=os.path.join(base, os.path.relpath(path, ROOT)))
        metadata = _metadata(project).encode("utf-8")
        entry = tarfile.TarInfo(f"{base}/PKG-INFO")
        entry.size = len(metadata)
        tar.addfile(entry, io.BytesIO(metadata))
    return name
