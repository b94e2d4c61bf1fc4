"""Structural checks of docker-compose.yaml, Dockerfile and .env.example.

No Docker engine is needed: the compose file is read as YAML and checked against what the
deployment relies on. When a Docker Compose v2 CLI is installed, ``docker compose config``
(which validates and interpolates the file without talking to an engine) is run as well;
otherwise those tests are skipped with the reason, or fail under
KONVERGENSI_REQUIRE_SERVICES=1 (CI installs the plugin: .ci/install-compose).
"""

from __future__ import annotations

import ast
import itertools
import os
import posixpath
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.settings import REQUIRE_SERVICES

REPO_ROOT = Path(__file__).resolve().parents[1]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yaml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
DOCKERFILE = REPO_ROOT / "Dockerfile"
REQUIREMENTS = REPO_ROOT / "requirements.txt"

BASE_IMAGE = "apache/airflow:3.3.2-python3.11"
INCLUDE_IN_CONTAINER = "/opt/airflow/include"
DEFAULT_DATA_ROOT = "/opt/airflow/konvergensi-data"

REQUIRED_SERVICES = (
    "postgres",
    "redis",
    "airflow-apiserver",
    "airflow-scheduler",
    "airflow-dag-processor",
    "airflow-worker",
    "airflow-triggerer",
    "airflow-init",
)
# Bind-mounted host paths the repository itself must provide. ./logs is deliberately absent:
# it holds runtime output, is not in the repository, and is created by Docker on first start
# (airflow-init then chowns it to AIRFLOW_UID), so it is exempt from the existence check.
REQUIRED_HOST_PATHS = ("dags", "include", "plugins", "contracts", "Dockerfile", "requirements.txt")
RUNTIME_HOST_PATHS = {"logs"}
# Settings that must come from .env and never carry a value in the compose file.
SECRET_SETTINGS = {
    "AIRFLOW__CORE__FERNET_KEY": "FERNET_KEY",
    "AIRFLOW__API_AUTH__JWT_SECRET": "JWT_SECRET",
    "AIRFLOW__API__SECRET_KEY": "API_SECRET_KEY",
    "AIRFLOW_CONN_KONVERGENSI_PSEUDONYM_KEY": "AIRFLOW_CONN_KONVERGENSI_PSEUDONYM_KEY",
}


# --------------------------------------------------------------------------- helpers


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    with COMPOSE_FILE.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)  # resolves the <<: *anchor merge keys
    assert isinstance(data, dict), "docker-compose.yaml must be a mapping"
    return data


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def airflow_services(compose: dict[str, Any], services: dict[str, dict[str, Any]]) -> list[str]:
    """Services built on the x-airflow-common anchor (they share its image)."""
    image = compose["x-airflow-common"]["image"]
    names = [name for name, svc in services.items() if svc.get("image") == image]
    assert names, "no service uses the x-airflow-common image"
    return names


def _environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):  # KEY=VALUE list form
        env = dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {str(key): "" if value is None else str(value) for key, value in env.items()}


def _volume_mounts(service: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(type, source, target) of every mount, for the short and the long syntax."""
    mounts = []
    for entry in service.get("volumes") or []:
        if isinstance(entry, dict):
            source, target = str(entry.get("source", "")), str(entry["target"])
            kind = entry.get("type") or ("bind" if _is_host_path(source) else "volume")
        else:
            parts = str(entry).split(":")
            if len(parts) == 1:  # anonymous volume: only a container path
                kind, source, target = "volume", "", parts[0]
            else:
                source, target = parts[0], parts[1]
                kind = "bind" if _is_host_path(source) else "volume"
        mounts.append((kind, source, target))
    return mounts


def _is_host_path(source: str) -> bool:
    return source.startswith((".", "/", "~", "$"))


def _depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    deps = service.get("depends_on") or {}
    if isinstance(deps, list):
        return {name: {"condition": "service_started"} for name in deps}
    return {name: spec or {} for name, spec in deps.items()}


def _strings(node: Any):
    """Every string value in the parsed YAML (compose interpolates values, not keys)."""
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


def _referenced_variables(compose: dict[str, Any]) -> set[str]:
    """Names used as $VAR / ${VAR...} (also inside defaults); $$ is an escaped literal $."""
    names: set[str] = set()
    for text in _strings(compose):
        unescaped = text.replace("$$", "\0")
        names.update(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", unescaped))
    return names


def _env_example_values() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = re.match(r"\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=(.*)$", line)
        if match and not line.lstrip().startswith("#"):
            values[match.group(1)] = match.group(2).strip()
    return values


def _dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with comments dropped and continuations joined."""
    logical, current = [], ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not current and (not line or line.startswith("#")):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        logical.append(current + line)
        current = ""
    if current:
        logical.append(current)
    pairs = []
    for line in logical:
        instruction, _, arguments = line.partition(" ")
        pairs.append((instruction.upper(), arguments.strip()))
    return pairs


def _compose_cli() -> tuple[list[str] | None, str]:
    """A Docker Compose v2 command line, or None and why there is none."""
    docker = shutil.which("docker")
    if docker:
        probe = subprocess.run(
            [docker, "compose", "version", "--short"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if probe.returncode == 0:
            return [docker, "compose"], ""
    standalone = shutil.which("docker-compose")
    if standalone:
        probe = subprocess.run(
            [standalone, "version", "--short"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        version = probe.stdout.strip().lstrip("v")
        if probe.returncode == 0 and version and version.split(".")[0].isdigit():
            if int(version.split(".")[0]) >= 2:
                return [standalone], ""
            return None, f"docker-compose {version} is the legacy v1 CLI; need Compose v2"
    if docker:
        return None, "the docker CLI is installed but has no compose plugin (`docker compose`)"
    return None, "no docker CLI with the compose plugin and no docker-compose v2 binary"


# --------------------------------------------------------------------------- the file itself


def test_compose_file_parses(compose: dict[str, Any]) -> None:
    assert isinstance(compose.get("services"), dict)
    assert "x-airflow-common" in compose


@pytest.mark.parametrize("name", REQUIRED_SERVICES)
def test_required_service_exists(services: dict[str, dict[str, Any]], name: str) -> None:
    assert name in services


def test_airflow_services_share_the_common_anchor(airflow_services: list[str]) -> None:
    expected = set(REQUIRED_SERVICES) - {"postgres", "redis"}
    assert expected <= set(airflow_services)


def test_backing_services(services: dict[str, dict[str, Any]], compose: dict[str, Any]) -> None:
    postgres, redis = services["postgres"], services["redis"]
    assert postgres["image"] == "postgres:16"
    assert "pg_isready" in postgres["healthcheck"]["test"]
    assert ("postgres-db-volume", "/var/lib/postgresql/data") in [
        (source, target) for _, source, target in _volume_mounts(postgres)
    ]
    assert redis["image"] == "redis:7.2-bookworm"
    assert "ping" in redis["healthcheck"]["test"]


def test_celery_executor_with_redis_broker_and_postgres_metadata_db(
    services: dict[str, dict[str, Any]], airflow_services: list[str]
) -> None:
    for name in airflow_services:
        env = _environment(services[name])
        assert env["AIRFLOW__CORE__EXECUTOR"] == "CeleryExecutor", name
        assert env["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://"), name
        assert "@redis:6379" in env["AIRFLOW__CELERY__BROKER_URL"], name
        assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
        assert "@postgres/" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"], name
        assert env["AIRFLOW__CELERY__RESULT_BACKEND"].startswith("db+postgresql://"), name
        assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == (
            "http://airflow-apiserver:8080/execution/"
        )
        assert env["AIRFLOW__CORE__LOAD_EXAMPLES"].lower() == "false", name
        assert env["AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION"].lower() == "true", name


@pytest.mark.parametrize(
    ("service", "command"),
    [
        ("airflow-apiserver", "api-server"),
        ("airflow-scheduler", "scheduler"),
        ("airflow-dag-processor", "dag-processor"),
        ("airflow-worker", "celery worker"),
        ("airflow-triggerer", "triggerer"),
    ],
)
def test_component_commands(
    services: dict[str, dict[str, Any]], service: str, command: str
) -> None:
    assert services[service]["command"] == command
    assert "healthcheck" in services[service]


def test_apiserver_publishes_8080_and_checks_the_version_endpoint(
    services: dict[str, dict[str, Any]],
) -> None:
    api = services["airflow-apiserver"]
    assert any(str(port).endswith(":8080") for port in api["ports"])
    assert any("/api/v2/version" in part for part in api["healthcheck"]["test"])


# --------------------------------------------------------------------------- volumes and paths


def test_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for kind, source, _ in _volume_mounts(service):
            if kind == "volume" and source:
                assert source in declared, f"{name} mounts undeclared named volume {source!r}"


def test_bind_mounted_paths_exist(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        for kind, source, _ in _volume_mounts(service):
            if kind != "bind":
                continue
            assert source.startswith("./"), f"{name}: bind mount {source!r} is not repo-relative"
            relative = Path(source[2:])
            if relative.parts and relative.parts[0] in RUNTIME_HOST_PATHS:
                continue  # created at runtime, see RUNTIME_HOST_PATHS
            assert (REPO_ROOT / relative).exists(), f"{name}: {source} does not exist"


@pytest.mark.parametrize("path", REQUIRED_HOST_PATHS)
def test_required_host_path_exists(path: str) -> None:
    # The folders may still be empty while the project is being filled in; they must exist.
    assert (REPO_ROOT / path).exists(), f"{path} is missing from the repository"


def test_build_context_and_dockerfile_exist(compose: dict[str, Any]) -> None:
    build = compose["x-airflow-common"]["build"]
    if isinstance(build, str):
        build = {"context": build}
    context = REPO_ROOT / build.get("context", ".")
    assert context.is_dir()
    assert (context / build.get("dockerfile", "Dockerfile")).is_file()
    assert (context / "requirements.txt").is_file()


def test_source_folders_are_mounted(
    services: dict[str, dict[str, Any]], airflow_services: list[str]
) -> None:
    expected = {
        ("./dags", "/opt/airflow/dags"),
        ("./include", INCLUDE_IN_CONTAINER),
        ("./plugins", "/opt/airflow/plugins"),
        ("./contracts", "/opt/airflow/contracts"),
        ("./logs", "/opt/airflow/logs"),
        ("konvergensi-data", DEFAULT_DATA_ROOT),
    }
    for name in airflow_services:
        mounts = {(source, target) for _, source, target in _volume_mounts(services[name])}
        assert expected <= mounts, f"{name} misses {expected - mounts}"


def test_package_is_importable_in_containers(
    services: dict[str, dict[str, Any]], airflow_services: list[str]
) -> None:
    for name in airflow_services:
        env = _environment(services[name])
        assert INCLUDE_IN_CONTAINER in env.get("PYTHONPATH", "").split(":"), name
        targets = {
            target for _, source, target in _volume_mounts(services[name]) if source == "./include"
        }
        assert targets == {INCLUDE_IN_CONTAINER}, name


def test_konvergensi_settings(
    services: dict[str, dict[str, Any]], airflow_services: list[str]
) -> None:
    for name in airflow_services:
        env = _environment(services[name])
        mounts = {source: target for _, source, target in _volume_mounts(services[name])}
        assert env["KONVERGENSI_CONTRACTS_DIR"] == mounts["./contracts"], name
        # Overridable (another local path), defaulting to where the data volume is mounted.
        assert env["KONVERGENSI_DATA_ROOT"] == (
            "${KONVERGENSI_DATA_ROOT:-" + mounts["konvergensi-data"] + "}"
        ), name
        assert env["AIRFLOW_CONN_KONVERGENSI_ALERTS"] == "${AIRFLOW_CONN_KONVERGENSI_ALERTS:-}"
        # Object storage is optional: empty by default, so the zones stay on the volume.
        for optional in ("KONVERGENSI_LANDING_URL", "KONVERGENSI_WAREHOUSE_URL"):
            assert env[optional] == "${" + optional + ":-}", name
        assert env["AIRFLOW_CONN_AWS_DEFAULT"] == "${AIRFLOW_CONN_AWS_DEFAULT:-}", name
        conn_id = env["KONVERGENSI_OBJECT_STORAGE_CONN_ID"]
        assert conn_id == "${KONVERGENSI_OBJECT_STORAGE_CONN_ID:-aws_default}", name


def _konvergensi_variables_in_code() -> set[str]:
    """KONVERGENSI_* names the package, DAGs and plugins spell out as string constants: the
    environment variables they read (os.environ.get, getenv, or a NAME_ENV constant)."""
    names = set()
    for folder in ("include", "dags", "plugins"):
        for path in (REPO_ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                value = node.value if isinstance(node, ast.Constant) else None
                if isinstance(value, str) and re.fullmatch(r"KONVERGENSI_[A-Z0-9_]+", value):
                    names.add(value)
    return names


def test_every_konvergensi_variable_the_code_reads_reaches_the_containers(
    services: dict[str, dict[str, Any]], airflow_services: list[str]
) -> None:
    read = _konvergensi_variables_in_code()
    assert {"KONVERGENSI_DATA_ROOT", "KONVERGENSI_MIN_CELL_SIZE"} <= read  # the scan works
    for name in airflow_services:
        env = _environment(services[name])
        missing = read - set(env)
        assert not missing, f"{name} does not pass {sorted(missing)} to the container"
        for variable in read - {"KONVERGENSI_CONTRACTS_DIR"}:  # a mount point, not a setting
            assert re.fullmatch(rf"\$\{{{variable}:-[^}}]*\}}", env[variable]), (
                f"{name}: {variable}={env[variable]!r} is not ${{{variable}:-default}}"
            )


def test_object_storage_is_off_in_the_example_env(services: dict[str, dict[str, Any]]) -> None:
    config = pytest.importorskip("konvergensi.config")
    values = _env_example_values()
    assert values["KONVERGENSI_LANDING_URL"] == values["KONVERGENSI_WAREHOUSE_URL"] == ""
    assert values["AIRFLOW_CONN_AWS_DEFAULT"] == ""
    assert values["KONVERGENSI_OBJECT_STORAGE_CONN_ID"] == config.DEFAULT_OBJECT_STORAGE_CONN_ID
    compose_default = _environment(services["airflow-worker"])["KONVERGENSI_OBJECT_STORAGE_CONN_ID"]
    assert compose_default.endswith(f":-{config.DEFAULT_OBJECT_STORAGE_CONN_ID}}}")


# --------------------------------------------------------------------------- dependencies


def test_depends_on_targets_exist(services: dict[str, dict[str, Any]]) -> None:
    for name, service in services.items():
        for target in _depends_on(service):
            assert target in services, f"{name} depends on unknown service {target!r}"
            assert target != name


def test_airflow_services_wait_for_airflow_init(
    services: dict[str, dict[str, Any]], airflow_services: list[str]
) -> None:
    # airflow-cli (profile "debug") is an ad-hoc tool and, as upstream, only waits for the
    # backing services.
    for name in set(airflow_services) - {"airflow-init", "airflow-cli"}:
        deps = _depends_on(services[name])
        assert deps.get("airflow-init", {}).get("condition") == "service_completed_successfully"
        assert deps["postgres"]["condition"] == "service_healthy", name
        assert deps["redis"]["condition"] == "service_healthy", name


def test_airflow_init_migrates_after_postgres_and_redis(
    services: dict[str, dict[str, Any]],
) -> None:
    init = services["airflow-init"]
    deps = _depends_on(init)
    assert deps["postgres"]["condition"] == "service_healthy"
    assert deps["redis"]["condition"] == "service_healthy"
    assert "airflow-init" not in deps
    script = "\n".join(_strings(init.get("command")))
    assert "airflow db migrate" in script
    assert "mkdir" in script
    assert str(init["user"]).split(":")[0] == "0", "airflow-init must run as root to chown"


def test_airflow_init_creates_every_zone(services: dict[str, dict[str, Any]]) -> None:
    config = pytest.importorskip("konvergensi.config")
    script = "\n".join(_strings(services["airflow-init"].get("command")))
    match = re.search(r"for zone in ([^;]+);", script)
    assert match, "airflow-init has no `for zone in ...;` loop"
    assert tuple(match.group(1).split()) == tuple(config.ZONES)


def test_airflow_init_creates_the_heavy_pool(services: dict[str, dict[str, Any]]) -> None:
    support = pytest.importorskip("konvergensi.airflow_support")
    script = "\n".join(_strings(services["airflow-init"].get("command")))
    match = re.search(r"airflow pools set (\S+) (\d+) ", script)
    assert match, "airflow-init does not create the pool of the memory-heavy tasks"
    assert (match[1], int(match[2])) == (support.HEAVY_POOL, support.HEAVY_POOL_SLOTS)
    assert script.index("airflow db migrate") < script.index("airflow pools set")


def test_worker_scales(services: dict[str, dict[str, Any]]) -> None:
    worker = services["airflow-worker"]
    assert "container_name" not in worker, "container_name prevents --scale airflow-worker=N"
    assert "hostname" not in worker, "a fixed hostname would give every worker the same name"
    assert not worker.get("ports"), "published ports clash once a second worker starts"
    assert _environment(worker).get("DUMB_INIT_SETSID") == "0"


def test_optional_flower_is_behind_a_profile(services: dict[str, dict[str, Any]]) -> None:
    assert "flower" in services["flower"]["profiles"]


# --------------------------------------------------------------------------- image


def test_dockerfile_installs_the_lock() -> None:
    instructions = _dockerfile_instructions()
    froms = [args for instruction, args in instructions if instruction == "FROM"]
    assert froms == [BASE_IMAGE]

    workdir = "/opt/airflow"  # WORKDIR of the official image
    copied: set[str] = set()
    installed: set[str] = set()
    for instruction, args in instructions:
        words = shlex.split(args)
        if instruction == "WORKDIR":
            workdir = posixpath.join(workdir, words[0])
        elif instruction in {"COPY", "ADD"}:
            sources, dest = [w for w in words[:-1] if not w.startswith("--")], words[-1]
            for source in sources:
                if dest.endswith("/") or dest in {".", "./"} or len(sources) > 1:
                    target = posixpath.join(dest, posixpath.basename(source))
                else:
                    target = dest
                copied.add(posixpath.normpath(posixpath.join(workdir, target)))
        elif instruction == "RUN" and "pip install" in args:
            assert "--no-cache-dir" in words
            for flag, value in itertools.pairwise(words):
                if flag in {"-r", "--requirement"}:
                    installed.add(posixpath.normpath(posixpath.join(workdir, value)))
    lock = [path for path in installed if posixpath.basename(path) == "requirements.txt"]
    assert lock, "no `pip install -r requirements.txt` in the Dockerfile"
    assert set(lock) <= copied, "the requirements.txt that is installed is never copied in"


def test_lock_matches_the_base_image() -> None:
    airflow_version, python_version = re.fullmatch(
        r"apache/airflow:([\d.]+)-python([\d.]+)", BASE_IMAGE
    ).groups()
    lock = REQUIREMENTS.read_text(encoding="utf-8")
    assert re.search(rf"^apache-airflow=={re.escape(airflow_version)}$", lock, re.M)
    header = re.search(r"--python-version[ =]([\d.]+)", lock)
    if header:  # uv records the target interpreter in the lock's header
        assert header.group(1) == python_version


# --------------------------------------------------------------------------- variables, secrets


def test_every_variable_is_documented_in_env_example(compose: dict[str, Any]) -> None:
    missing = _referenced_variables(compose) - set(_env_example_values())
    assert not missing, f"not in .env.example: {sorted(missing)}"


def test_env_example_has_no_stale_variables(compose: dict[str, Any]) -> None:
    stale = set(_env_example_values()) - _referenced_variables(compose)
    assert not stale, f".env.example lists variables compose never uses: {sorted(stale)}"


@pytest.mark.parametrize(("setting", "variable"), sorted(SECRET_SETTINGS.items()))
def test_secrets_are_not_hard_coded(
    services: dict[str, dict[str, Any]],
    airflow_services: list[str],
    setting: str,
    variable: str,
) -> None:
    # Exactly ${VAR} or ${VAR:?message}: no literal value and no `:-default` fallback.
    pattern = re.compile(rf"\$\{{{variable}(:?\?[^}}]*)?\}}")
    for name in airflow_services:
        value = _environment(services[name]).get(setting)
        assert value is not None, f"{name} lacks {setting}"
        assert pattern.fullmatch(value), f"{name}: {setting}={value!r} is not a bare ${{...}}"
    # ...and the committed example carries no real secret either.
    assert _env_example_values()[variable] == ""


def test_no_secret_literal_in_compose_file() -> None:
    text = COMPOSE_FILE.read_text(encoding="utf-8")
    # A Fernet key is 32 url-safe base64 bytes: 43 characters followed by "=".
    assert not re.search(r"[A-Za-z0-9_-]{43}=", text)
    for setting in SECRET_SETTINGS:
        for line in text.splitlines():
            if line.strip().startswith(f"{setting}:"):
                assert "${" in line, line


# --------------------------------------------------------------------------- docker compose config


def _env_file(tmp_path: Path, compose: dict[str, Any], *, drop: str | None = None) -> Path:
    values = {name: f"dummy-{name.lower()}" for name in _referenced_variables(compose)}
    values.update(
        AIRFLOW_UID="50000",
        AIRFLOW_API_PORT="8080",
        FLOWER_PORT="5555",
        KONVERGENSI_DATA_ROOT=DEFAULT_DATA_ROOT,
        AIRFLOW_IMAGE_NAME="konvergensi/airflow:test",
        AIRFLOW_CONN_KONVERGENSI_PSEUDONYM_KEY="generic://:00ff@",
    )
    if drop:
        values.pop(drop)
    path = tmp_path / "compose.env"
    path.write_text("".join(f"{key}={value}\n" for key, value in values.items()))
    return path


def _run_compose_config(cli: list[str], env_file: Path, compose: dict[str, Any]):
    # Variables from the calling shell would override the env file: keep them out.
    environment = {
        key: value
        for key, value in os.environ.items()
        if key not in _referenced_variables(compose) and not key.startswith("COMPOSE_")
    }
    return subprocess.run(
        [
            *cli,
            "--project-directory",
            str(REPO_ROOT),
            "--file",
            str(COMPOSE_FILE),
            "--env-file",
            str(env_file),
            "--profile",
            "flower",
            "--profile",
            "debug",
            "config",
            "--quiet",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=environment,
        check=False,
    )


def _compose_cli_or_skip() -> list[str]:
    """The Compose v2 command line; skipped without one (failed when CI requires it)."""
    cli, reason = _compose_cli()
    if cli is None:
        message = f"`docker compose config` not available: {reason}"
        if REQUIRE_SERVICES:
            pytest.fail(f"{message} (KONVERGENSI_REQUIRE_SERVICES=1: run .ci/install-compose)")
        pytest.skip(message)
    return cli


def test_docker_compose_config_validates(tmp_path: Path, compose: dict[str, Any]) -> None:
    cli = _compose_cli_or_skip()
    result = _run_compose_config(cli, _env_file(tmp_path, compose), compose)
    assert result.returncode == 0, result.stderr


def test_docker_compose_config_requires_the_fernet_key(
    tmp_path: Path, compose: dict[str, Any]
) -> None:
    cli = _compose_cli_or_skip()
    result = _run_compose_config(cli, _env_file(tmp_path, compose, drop="FERNET_KEY"), compose)
    assert result.returncode != 0
    assert "FERNET_KEY" in result.stderr
