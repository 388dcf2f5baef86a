"""The places that name Shelfmark's environment variables, read as data.

settings.py (what it reads), .env.example (what it documents), README.md's two configuration
tables, compose.yaml (what it passes to the web container and what it takes from .env) and the
Docker scripts and ./scripts (what they read). test_config_lists.py checks that they agree;
test_settings.py uses ``settings_variables()`` to keep the developer's environment out of its
subprocesses.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
SETTINGS = REPO_ROOT / "shelfmark" / "settings.py"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
README = REPO_ROOT / "README.md"
COMPOSE = REPO_ROOT / "compose.yaml"
DOCKERFILE = REPO_ROOT / "Dockerfile"
DOCKER_DIR = REPO_ROOT / "docker"
SCRIPTS_DIR = REPO_ROOT / "scripts"

# An entry of .env.example, set or commented out: "NAME=value" or "# NAME=value".
ENV_EXAMPLE_ENTRY = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=", re.MULTILINE)
# A compose interpolation, ${NAME...} or $NAME, but not an escaped $$NAME.
COMPOSE_INTERPOLATION = re.compile(r"(?<!\$)\$\{?([A-Za-z_][A-Za-z0-9_]*)")
# A shell expansion: $NAME or ${NAME...}; upper case only (lower case names are the script's own).
SHELL_EXPANSION = re.compile(r"\$\{?([A-Z_][A-Z0-9_]*)")
# A variable-like name in prose: upper case with an underscore (SECRET_KEY, not HSTS or URL).
VARIABLE_LIKE = re.compile(r"\b[A-Z][A-Z0-9]*_[A-Z0-9_]*[A-Z0-9]\b")


@cache
def settings_variables() -> frozenset[str]:
    """Every name settings.py passes to its ``env`` object: env.str("NAME", ...), env("NAME")."""
    names = set()
    for node in ast.walk(ast.parse(SETTINGS.read_text(encoding="utf-8"))):
        if not isinstance(node, ast.Call):
            continue
        function = node.func
        if isinstance(function, ast.Attribute):
            function = function.value  # env.str -> env
        if not (isinstance(function, ast.Name) and function.id == "env"):
            continue
        name = node.args[0] if node.args else None
        if not (isinstance(name, ast.Constant) and isinstance(name.value, str)):
            raise AssertionError(
                f"settings.py line {node.lineno}: the env call's first argument is not a literal "
                "variable name; write the name out, so the configuration lists can be checked."
            )
        names.add(name.value)
    return frozenset(names)


def env_example_variables() -> frozenset[str]:
    return frozenset(ENV_EXAMPLE_ENTRY.findall(ENV_EXAMPLE.read_text(encoding="utf-8")))


def readme_section(heading: str) -> str:
    """The text under a README heading ("## Configuration"), up to the next heading as high."""
    lines = README.read_text(encoding="utf-8").splitlines()
    level = heading.split(" ", 1)[0]
    start = lines.index(heading) + 1
    end = next(
        (
            i
            for i in range(start, len(lines))
            if lines[i].startswith("#") and len(lines[i].split(" ", 1)[0]) <= len(level)
        ),
        len(lines),
    )
    return "\n".join(lines[start:end])


def readme_table_variables(heading: str) -> frozenset[str]:
    """The `NAME`s in the first column of the tables under a README heading."""
    names = set()
    for line in readme_section(heading).splitlines():
        if line.startswith("|"):
            first_cell = line.split("|")[1]
            names.update(re.findall(r"`([A-Z][A-Z0-9_]*)`", first_cell))
    return frozenset(names)


@cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))


def compose_web_environment() -> dict[str, str | None]:
    """What compose.yaml gives the web container; None: passed through from the environment."""
    return dict(compose()["services"]["web"]["environment"])


def compose_interpolated_variables() -> frozenset[str]:
    """The ${NAME}s compose.yaml takes from the environment or .env, anywhere in the file."""

    def strings(node):
        if isinstance(node, dict):
            for key, value in node.items():
                yield from strings(key)
                yield from strings(value)
        elif isinstance(node, list):
            for item in node:
                yield from strings(item)
        elif isinstance(node, str):
            yield node

    return frozenset(
        name for text in strings(compose()) for name in COMPOSE_INTERPOLATION.findall(text)
    )


def db_service_scripts() -> frozenset[Path]:
    """The docker/ scripts compose.yaml mounts into the db service (they run there, not in web)."""
    mounted = set()
    for volume in compose()["services"]["db"].get("volumes", []):
        source = volume.split(":", 1)[0]
        if source.startswith("./"):
            mounted.add((REPO_ROOT / source).resolve())
    return frozenset(mounted)


def _python_reads(path: Path, environments: frozenset[str] = frozenset({"os.environ"})) -> set[str]:
    """os.environ["NAME"], os.environ.get("NAME", ...) and os.getenv("NAME", ...) in a file (or
    the same of other names the environment goes by there)."""
    environments = environments | {"os.getenv"}
    names = set()
    key: ast.expr | None
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Subscript):
            target, key = node.value, node.slice
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            if node.func.attr == "get":
                target = node.func.value
            elif node.func.attr == "getenv":
                target = node.func
            else:
                continue
            key = node.args[0] if node.args else None
        else:
            continue
        if (
            isinstance(key, ast.Constant)
            and isinstance(key.value, str)
            and ast.unparse(target) in environments
        ):
            names.add(key.value)
    return names


def _shell_reads(path: Path) -> set[str]:
    code = "\n".join(
        line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith("#")
    )
    return set(SHELL_EXPANSION.findall(code))


def docker_script_variables(*, db_service: bool) -> frozenset[str]:
    """What the scripts in docker/ read: those of the web image, or those of the db service.
    Beside the web image's: the Python of the optional services' images (docker/z3950/)."""
    names = set()
    db_scripts = db_service_scripts()
    for path in sorted(DOCKER_DIR.iterdir()):
        if not path.is_file() or (path.resolve() in db_scripts) != db_service:
            continue
        names |= _python_reads(path) if path.suffix == ".py" else _shell_reads(path)
    if not db_service:
        # docker/z3950/gateway.py hands the environment to its functions as ``environ``.
        for path in sorted(DOCKER_DIR.glob("*/*.py")):
            names |= _python_reads(path, frozenset({"os.environ", "environ"}))
    return frozenset(names)


def project_script_variables() -> frozenset[str]:
    """What the shell scripts in scripts/ (serve, test, lint, lock…) read: PORT, SITE_URL…"""
    names = set()
    for path in sorted(SCRIPTS_DIR.iterdir()):
        if path.is_file():
            names |= _shell_reads(path)
    return frozenset(names)


def dockerfile_env_variables() -> frozenset[str]:
    """The names the runtime image sets with ENV (the last stage of the Dockerfile)."""
    text = DOCKERFILE.read_text(encoding="utf-8")
    last_stage = text[text.rindex("\nFROM ") :]
    names = set()
    for instruction in re.findall(r"^ENV (.*?)(?<!\\)$", last_stage, re.MULTILINE | re.DOTALL):
        names.update(re.findall(r"(?:^|\s)([A-Z][A-Z0-9_]*)=", instruction))
    return frozenset(names)


def variable_like_names(path: Path) -> frozenset[str]:
    """Every NAME_LIKE_THIS a file mentions, in comments and prose too."""
    return frozenset(VARIABLE_LIKE.findall(path.read_text(encoding="utf-8")))
