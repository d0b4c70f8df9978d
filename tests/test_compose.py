"""docker-compose.yml runs the Procfile's processes, with settings the app actually reads.

Structural checks on the parsed YAML need neither Django nor Docker. Only the last tests run the
real `docker compose config`, and skip themselves when the compose plugin is not installed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
COMPOSE_FILE = ROOT / "docker-compose.yml"
PROCFILE = ROOT / "Procfile"
SETTINGS_PACKAGE = ROOT / "escalation" / "settings"

PROCESSES = ("web", "worker", "beat")
APP_SERVICES = (*PROCESSES, "migrate")
# Read by the Procfile's shell defaults or by the postgres image, never by the settings.
COMPOSE_ONLY_VARIABLES = frozenset(
    {"BIND", "WEB_CONCURRENCY", "CELERY_CONCURRENCY", "CELERY_BEAT_SCHEDULE"}
)
COMPOSE_ONLY_PREFIX = "POSTGRES_"

# env("NAME", ...), env_bool("NAME", ...), env_int(...), env_list(...), and plain os.environ reads.
SETTINGS_READ = re.compile(
    r"""(?:\benv(?:_bool|_int|_list)?\(|os\.environ\.get\(|os\.environ\[|os\.getenv\()\s*["']([A-Z][A-Z0-9_]*)["']"""
)
# ${NAME}, ${NAME:-default}, ${NAME-default}, ${NAME:?message}, ${NAME?message}
COMPOSE_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?-)([^}]*)|(:?\?)[^}]*)?\}")


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return compose["services"]


@pytest.fixture(scope="module")
def procfile() -> dict[str, str]:
    entries: dict[str, str] = {}
    for line in PROCFILE.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, _, command = line.partition(":")
        entries[name.strip()] = command.strip()
    return entries


@pytest.fixture(scope="module")
def settings_variables() -> frozenset[str]:
    return frozenset(SETTINGS_READ.findall(settings_text()))


def settings_text() -> str:
    """Every part of the settings package, as one text."""
    return "\n".join(
        path.read_text(encoding="utf-8") for path in sorted(SETTINGS_PACKAGE.glob("*.py"))
    )


def environment_of(service: dict[str, Any]) -> dict[str, str]:
    """Compose accepts a mapping or a list of NAME=value strings; normalise to a mapping."""
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        return dict(item.partition("=")[::2] for item in environment)
    return {name: "" if value is None else str(value) for name, value in environment.items()}


def with_local_defaults(value: str) -> str:
    """The value Compose produces when none of the variables are set on the host."""
    return COMPOSE_VARIABLE.sub(lambda match: match.group(3) or "", value).replace("$$", "$")


def as_run_in_container(text: str) -> str:
    """A command string after Compose's interpolation, which must not touch the shell's ${...}.

    1. Every `$` meant for the container's shell must be written `$$`; a single `$` would be
       expanded from the host's environment, so it fails the test.
    2. Compose turns `$$` into `$`, which is what `sh -c` then sees.
    """
    host_expanded = re.findall(r"\$(?!\$)\S*", text.replace("$$", ""))
    assert not host_expanded, f"Compose would expand {host_expanded} on the host; write $$ instead"
    return text.replace("$$", "$")


def named_volumes(service: dict[str, Any]) -> dict[str, str]:
    """Named volumes a service mounts, by name, with their target path (bind mounts left out)."""
    mounts: dict[str, str] = {}
    for volume in service.get("volumes") or []:
        if isinstance(volume, dict):
            if volume.get("type", "volume") == "volume" and volume.get("source"):
                mounts[volume["source"]] = volume["target"]
            continue
        source, _, rest = volume.partition(":")
        if rest and not source.startswith((".", "/", "~", "$")):
            mounts[source] = rest.split(":")[0]
    return mounts


def test_the_five_services_and_the_migrate_job_are_defined(services: dict[str, Any]) -> None:
    assert {"postgres", "redis", "migrate", "web", "worker", "beat"} <= services.keys()


def test_postgres_and_redis_have_healthchecks(services: dict[str, Any]) -> None:
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert services["redis"]["healthcheck"]["test"][-2:] == ["redis-cli", "ping"]


def test_redis_persists_to_an_append_only_file(services: dict[str, Any]) -> None:
    command = services["redis"]["command"]
    command = command.split() if isinstance(command, str) else command
    assert command[command.index("--appendonly") + 1] == "yes"
    assert named_volumes(services["redis"]) == {"redisdata": "/data"}


def test_web_worker_and_beat_run_the_procfile_commands(
    services: dict[str, Any], procfile: dict[str, str]
) -> None:
    for name in PROCESSES:
        shell, flag, script = services[name]["command"]
        assert (shell, flag) == ("sh", "-c"), name
        # `exec` only replaces the shell so the process gets SIGTERM; the command is the Procfile's.
        assert as_run_in_container(script) == f"exec {procfile[name]}", name


def test_every_app_service_is_built_from_this_directory(services: dict[str, Any]) -> None:
    for name in APP_SERVICES:
        build = services[name]["build"]
        assert (build if isinstance(build, str) else build["context"]) == ".", name


def test_migrate_runs_once_before_the_app_starts(services: dict[str, Any]) -> None:
    migrate = services["migrate"]
    command = migrate["command"]
    command = command if isinstance(command, str) else " ".join(command)
    assert command == "python manage.py migrate --noinput"
    assert migrate["restart"] == "no"
    assert migrate["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }


def test_web_worker_and_beat_wait_for_healthy_databases_and_a_completed_migrate(
    services: dict[str, Any],
) -> None:
    for name in PROCESSES:
        assert services[name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }, name


def test_web_listens_on_all_interfaces_and_checks_its_healthz(services: dict[str, Any]) -> None:
    web = services["web"]
    assert environment_of(web)["BIND"] == "0.0.0.0:8000"
    assert "8000:8000" in [str(port) for port in web["ports"]]
    test = web["healthcheck"]["test"]
    assert test[:3] == ["CMD", "python", "-c"]
    assert "http://127.0.0.1:8000/healthz" in test[3]
    compile(test[3], "healthcheck", "exec")
    # The check connects as 127.0.0.1, so Django must accept that Host whatever the operator sets.
    assert "127.0.0.1" in environment_of(web)["ALLOWED_HOSTS"].split(",")


def test_app_services_set_only_variables_the_settings_read(
    services: dict[str, Any], settings_variables: frozenset[str]
) -> None:
    for name in APP_SERVICES:
        set_by_compose = {
            variable
            for variable in environment_of(services[name])
            if variable not in COMPOSE_ONLY_VARIABLES
            and not variable.startswith(COMPOSE_ONLY_PREFIX)
        }
        assert set_by_compose - settings_variables == set(), name


def test_app_services_share_one_environment(services: dict[str, Any]) -> None:
    shared = environment_of(services["migrate"])
    for name in PROCESSES:
        environment = environment_of(services[name])
        if name == "web":
            del environment["BIND"]
        assert environment == shared, name


def test_production_settings_are_required_or_safe_by_default(services: dict[str, Any]) -> None:
    environment = environment_of(services["web"])
    assert environment["DEBUG"] == "false"
    assert environment["SECRET_KEY"].startswith("${SECRET_KEY:?")
    # TLS ends at the proxy in front, which redirects plain HTTP itself.
    assert with_local_defaults(environment["SECURE_SSL_REDIRECT"]) == "false"


def test_database_url_points_at_the_postgres_service(services: dict[str, Any]) -> None:
    url = urlsplit(with_local_defaults(environment_of(services["web"])["DATABASE_URL"]))
    postgres = environment_of(services["postgres"])
    assert url.scheme in {"postgres", "postgresql"}
    assert (url.hostname, url.port) == ("postgres", 5432)
    assert url.username == postgres["POSTGRES_USER"] == "escalation"
    assert url.password == with_local_defaults(postgres["POSTGRES_PASSWORD"])
    assert url.path.lstrip("/") == postgres["POSTGRES_DB"] == "escalation"


def test_redis_url_points_at_the_redis_service(services: dict[str, Any]) -> None:
    url = urlsplit(with_local_defaults(environment_of(services["web"])["REDIS_URL"]))
    assert url.scheme == "redis"
    assert (url.hostname, url.port or 6379) == ("redis", 6379)


def test_uploads_live_on_a_volume_shared_by_web_and_worker(services: dict[str, Any]) -> None:
    for name in ("web", "worker"):
        assert named_volumes(services[name])["media"] == "/app/var/media", name


def test_every_named_volume_is_declared(compose: dict[str, Any], services: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    used = {volume for service in services.values() for volume in named_volumes(service)}
    assert used <= declared
    assert {"pgdata", "redisdata", "media"} <= declared
    assert named_volumes(services["postgres"]) == {"pgdata": "/var/lib/postgresql/data"}


def test_the_worker_serves_every_queue_the_settings_declare(procfile: dict[str, str]) -> None:
    """No -Q: the worker consumes every queue of CELERY_TASK_QUEUES (the default one, mail and the
    SLA sweep, named after CELERY_QUEUE). A -Q list here would have to repeat them all."""
    words = procfile["worker"].split()
    assert "-Q" not in words and not any(word.startswith("--queues") for word in words)
    assert "CELERY_TASK_QUEUES" in settings_text()


# --- Metrics (the `metrics` profile) and the processes' shared metrics directory --------------

PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus.yml"


def test_prometheus_is_optional_behind_the_metrics_profile(services: dict[str, Any]) -> None:
    assert services["prometheus"]["profiles"] == ["metrics"]
    # Everything else starts without a profile, as before.
    assert [name for name, service in services.items() if service.get("profiles")] == ["prometheus"]


def test_prometheus_scrapes_webs_metrics_with_the_token(services: dict[str, Any]) -> None:
    prometheus = services["prometheus"]
    mounts = {
        volume.split(":")[1]: volume.split(":")[0]
        for volume in prometheus["volumes"]
        if volume.startswith("./")
    }
    assert mounts == {"/etc/prometheus/prometheus.yml": "./deploy/prometheus.yml"}
    config = yaml.safe_load(PROMETHEUS_CONFIG.read_text(encoding="utf-8"))
    (job,) = config["scrape_configs"]
    assert job["metrics_path"] == "/metrics"
    (targets,) = [entry["targets"] for entry in job["static_configs"]]
    assert targets == ["web:8000"]
    # The scrape's Host is web: Django must accept it.
    assert "web" in environment_of(services["web"])["ALLOWED_HOSTS"].split(",")
    # The token file Prometheus reads is the one its command writes from METRICS_TOKEN.
    token_file = job["authorization"]["credentials_file"]
    assert job["authorization"]["type"] == "Bearer"
    (script,) = prometheus["command"]
    assert f'"$METRICS_TOKEN" > {token_file}' in as_run_in_container(script)
    assert prometheus["entrypoint"] == ["/bin/sh", "-c"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in script
    assert environment_of(prometheus)["METRICS_TOKEN"] == "${METRICS_TOKEN:-}"
    assert environment_of(services["web"])["METRICS_TOKEN"] == "${METRICS_TOKEN:-}"
    assert named_volumes(prometheus) == {"prometheusdata": "/prometheus"}


def test_prometheus_is_reachable_from_this_host_only(services: dict[str, Any]) -> None:
    assert services["prometheus"]["ports"] == ["127.0.0.1:9090:9090"]


def test_web_worker_and_beat_write_their_metrics_to_one_shared_volume(
    services: dict[str, Any],
) -> None:
    for name in PROCESSES:
        directory = environment_of(services[name])["PROMETHEUS_MULTIPROC_DIR"]
        assert named_volumes(services[name])["metrics"] == directory, name
    # The image creates the directory, owned by the app user, so the new volume is writable.
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r"mkdir -p [^\n]*var/metrics", dockerfile)


def test_production_logs_are_json_and_error_tracking_is_off_unless_set(
    services: dict[str, Any],
) -> None:
    environment = environment_of(services["web"])
    assert with_local_defaults(environment["LOG_FORMAT"]) == "json"
    assert with_local_defaults(environment["SENTRY_DSN"]) == ""
