"""The deployment files (deploy/): the compose file is valid for the compose tool and runs the
services, queues and GPU reservation the architecture needs; the images install what each
process needs (the bot no torch) and run as a non-root user; every `faqbot` command and option
they use exists; the Kubernetes manifests build with kustomize and probe every container; no
secret is committed; and the containers' health check tells a live worker, beat or bot from a
dead one."""

from __future__ import annotations

import http.server
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import yaml

from faqbot.contracts import QUEUES
from faqbot.settings import Settings

ROOT = Path(__file__).parents[2]
DEPLOY = ROOT / "deploy"
COMPOSE = DEPLOY / "docker-compose.yml"
ENV_EXAMPLE = DEPLOY / "production.env.example"
BOT_DOCKERFILE = DEPLOY / "docker" / "bot.Dockerfile"
WORKER_DOCKERFILE = DEPLOY / "docker" / "worker.Dockerfile"
HEALTHCHECK = DEPLOY / "docker" / "healthcheck.py"
K8S = DEPLOY / "k8s"
SECRET_EXAMPLE = K8S / "secret.example.yaml"

SERVICES = {
    "postgres",
    "redis",
    "weaviate",
    "bot",
    "answer-worker",
    "ingest-worker",
    "beat",
    "trainer",
    "vllm",
    "llama-server",
}
WORKER_QUEUES = {"answer-worker": "answers", "ingest-worker": "ingest", "trainer": "training"}
K8S_WORKER_QUEUES = {f"faqbot-{name}": queue for name, queue in WORKER_QUEUES.items()}
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|API_KEY")
# A real Slack token, not a placeholder.
SLACK_TOKEN = re.compile(r"xox[abpe]-\d{6,}|xapp-\d-[A-Z0-9]{6,}")
NOT_SETTINGS = {"HF_HOME", "HF_TOKEN"}  # read by Hugging Face libraries, not by faqbot's settings


def settings_variables() -> set[str]:
    return {f"FAQBOT_{name.upper()}" for name in Settings.model_fields}


# --- compose ------------------------------------------------------------------------------------


def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


def output_of(args: list[str], **options) -> subprocess.CompletedProcess:
    """Runs a command to its end, capturing its output as text; the caller checks the status."""
    return subprocess.run(args, check=False, capture_output=True, text=True, **options)


def compose_tool() -> list[str] | None:
    """`docker compose` (the plugin) where it works, else `docker-compose`, else None."""
    if shutil.which("docker"):
        probe = output_of(["docker", "compose", "version"])
        if probe.returncode == 0:
            return ["docker", "compose"]
    if shutil.which("docker-compose"):
        return ["docker-compose"]
    return None


@pytest.fixture(scope="module")
def tool() -> list[str]:
    found = compose_tool()
    if found is None:
        reason = (
            "neither `docker compose` nor `docker-compose` is installed; .ci/run installs "
            "Debian's docker-compose"
        )
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must validate deploy/docker-compose.yml: {reason}")
        pytest.skip(reason)
    return found


def bare_environment() -> dict[str, str]:
    """The environment without any variable the compose file reads: `config` must be valid
    with none of them set."""
    names = re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text()) + list(env_example())
    return {
        k: v
        for k, v in os.environ.items()
        if k not in names and not k.startswith(("FAQBOT_", "DEPLOY_"))
    }


def run_compose(tool: list[str], *args: str) -> subprocess.CompletedProcess:
    return output_of(
        [*tool, "-f", str(COMPOSE), *args], cwd=ROOT, env=bare_environment(), timeout=120
    )


@pytest.mark.parametrize(
    "options",
    [[], ["--profile", "gpu"], ["--env-file", str(ENV_EXAMPLE)]],
    ids=["no-env", "gpu-profile", "env-example"],
)
def test_the_compose_tool_accepts_the_compose_file(tool, options):
    result = run_compose(tool, *options, "config", "-q")
    assert result.returncode == 0, result.stderr
    # Every interpolated variable has a default: nothing "is not set".
    assert "not set" not in result.stderr, result.stderr


def test_the_env_file_reaches_the_containers_and_unset_secrets_stay_unset(tool):
    rendered = yaml.safe_load(
        run_compose(tool, "--env-file", str(ENV_EXAMPLE), "--profile", "gpu", "config").stdout
    )
    bot = rendered["services"]["bot"]["environment"]
    assert bot["FAQBOT_SLACK_BOT_TOKEN"] == "xoxb-REPLACE-ME"
    assert (
        bot["FAQBOT_DATABASE_URL"] == "postgresql+psycopg://faqbot:REPLACE-ME@postgres:5432/faqbot"
    )
    assert bot["FAQBOT_LLM_MODEL"] == "microsoft/Phi-3-mini-4k-instruct"
    # Not in the env file: no value at all (an empty one would mean Socket Mode, say).
    assert bot.get("FAQBOT_SLACK_APP_TOKEN") is None
    bare = yaml.safe_load(run_compose(tool, "config").stdout)["services"]
    for name, service in bare.items():
        for key, value in (service.get("environment") or {}).items():
            if SECRET_NAME.search(key) and key != "POSTGRES_PASSWORD":
                assert value is None, f"{name}: {key} has a value without any env file"


def test_the_compose_file_runs_every_service_of_the_architecture():
    services = compose()["services"]
    assert set(services) == SERVICES
    declared = set(compose()["volumes"])
    for name, service in services.items():
        assert "healthcheck" in service, f"{name} has no health check"
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            assert source in declared, f"{name} mounts {source}, which is not a named volume"
        for dependency, how in (service.get("depends_on") or {}).items():
            assert how == {"condition": "service_healthy"}, f"{name} → {dependency}: {how}"
            assert "healthcheck" in services[dependency]
    # Only the trainer and the model servers need a profile: a plain `up` on a machine without
    # a GPU runs the rest, with the model inside each answer worker.
    profiled = {n: s["profiles"] for n, s in services.items() if s.get("profiles")}
    assert profiled == {"trainer": ["gpu"], "vllm": ["vllm"], "llama-server": ["llama-server"]}


def test_redis_keeps_the_queue_across_restarts():
    redis = compose()["services"]["redis"]
    command = redis["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert any(volume.endswith(":/data") for volume in redis["volumes"])


def test_weaviate_persists_and_has_no_vectorizer():
    weaviate = compose()["services"]["weaviate"]
    assert weaviate["image"].split(":")[0].endswith("semitechnologies/weaviate")
    env = weaviate["environment"]
    assert env["DEFAULT_VECTORIZER_MODULE"] == "none" and env["ENABLE_MODULES"] == ""
    assert any(
        volume.endswith(":" + env["PERSISTENCE_DATA_PATH"]) for volume in weaviate["volumes"]
    )


def test_workers_take_their_own_queues_and_the_trainer_gets_a_gpu():
    services = compose()["services"]
    for name, queue in WORKER_QUEUES.items():
        command = services[name]["command"]
        assert command[:2] == ["faqbot", "worker"]
        assert command[command.index("--queues") + 1] == queue
    assert services["beat"]["command"] == ["faqbot", "beat"]
    trainer = services["trainer"]
    assert trainer["profiles"] == ["gpu"]
    devices = trainer["deploy"]["resources"]["reservations"]["devices"]
    assert any(
        d["driver"] == "nvidia"
        and "gpu" in d["capabilities"]
        and (d.get("count") in (1, "all") or d.get("device_ids"))
        for d in devices
    )
    assert trainer["build"]["dockerfile"] == "deploy/docker/worker.Dockerfile"
    assert set(trainer["build"]["args"]) <= dockerfile_args(WORKER_DOCKERFILE)


def test_vllm_serves_adapters_by_name_from_the_trainers_adapter_directory():
    services = compose()["services"]
    vllm = services["vllm"]
    assert "--enable-lora" in vllm["command"]
    rank = int(vllm["command"][vllm["command"].index("--max-lora-rank") + 1])
    from pipelines.training.qlora import LORA_R

    assert rank >= LORA_R
    assert vllm["environment"]["VLLM_ALLOW_RUNTIME_LORA_UPDATING"] == "True"
    assert (
        "faqbot-data:/data:ro" in vllm["volumes"]
        and "faqbot-data:/data" in (services["trainer"]["volumes"])
    )  # the path the trainer writes an adapter to is the path vLLM loads it from
    llama = services["llama-server"]
    assert llama["command"][:2] == ["faqbot", "model-server"]
    assert llama["build"]["args"]["WITH_LLAMA_CPP"] == "1"
    assert set(llama["build"]["args"]) <= dockerfile_args(WORKER_DOCKERFILE)


def test_the_bot_uses_the_slim_image_on_port_3000():
    bot = compose()["services"]["bot"]
    assert bot["build"]["dockerfile"] == "deploy/docker/bot.Dockerfile"
    assert any(str(port).endswith(":3000") for port in bot["ports"])
    assert bot["environment"]["FAQBOT_SLACK_PORT"] == "3000"
    assert bot["healthcheck"]["test"] == ["CMD", "faqbot-healthcheck", "bot"]
    for name in ("answer-worker", "ingest-worker", "beat"):
        assert (
            compose()["services"][name]["build"]["dockerfile"] == "deploy/docker/worker.Dockerfile"
        )


def test_every_setting_can_be_given_to_the_containers_and_no_secret_is_written_down():
    environment = compose()["x-faqbot-environment"]
    services = compose()["services"]
    for name in SERVICES - {"postgres", "redis", "weaviate", "vllm"}:
        assert services[name]["environment"] == environment, name
    missing = settings_variables() - set(environment)
    assert not missing, (
        f"{sorted(missing)} cannot be set in compose deployments: add them to "
        "x-faqbot-environment in deploy/docker-compose.yml (no value: passed through when set)"
    )
    assert set(environment) - settings_variables() <= NOT_SETTINGS
    for key, value in environment.items():
        if SECRET_NAME.search(key):
            assert value is None, f"{key} must come from the environment, not the compose file"
    assert re.search(r"://faqbot:\$\{POSTGRES_PASSWORD:-\}@", environment["FAQBOT_DATABASE_URL"])
    assert services["postgres"]["environment"]["POSTGRES_PASSWORD"] == "${POSTGRES_PASSWORD:-}"
    assert not SLACK_TOKEN.search(COMPOSE.read_text())


# --- production.env.example -----------------------------------------------------------------------


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key] = value
    return values


def test_the_production_example_is_valid_settings_for_phi3_weaviate_postgres_and_redis(
    monkeypatch,
):
    values = env_example()
    for name in list(os.environ):
        if name.startswith("FAQBOT_"):
            monkeypatch.delenv(name)
    for key, value in values.items():
        if key.startswith("FAQBOT_"):
            assert key in settings_variables(), f"{key} is not a setting"
            monkeypatch.setenv(key, value)
    settings = Settings(_env_file=None)
    assert settings.llm_model == "microsoft/Phi-3-mini-4k-instruct" and settings.llm_4bit
    assert settings.weaviate_url == "http://weaviate:8080"
    assert settings.redis_url.startswith("redis://")
    assert settings.slack_app_token is None  # HTTP mode: the probes need /healthz
    # Every secret is a placeholder.
    for key, value in values.items():
        if SECRET_NAME.search(key):
            assert "REPLACE-ME" in value, key


def test_every_line_of_the_example_is_used_by_the_compose_file():
    environment = set(compose()["x-faqbot-environment"])
    interpolated = set(re.findall(r"\$\{([A-Z0-9_]+)", COMPOSE.read_text()))
    for key in env_example():
        assert key in environment or key in interpolated, f"compose ignores {key}"


# --- images -----------------------------------------------------------------------------------


def instructions(dockerfile: Path) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments), continuation lines joined, comments dropped."""
    text = re.sub(r"\\\n", " ", dockerfile.read_text())
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split()[0].upper(), line.partition(" ")[2])
        for line in lines
        if line and not line.startswith("#")
    ]


def dockerfile_args(dockerfile: Path) -> set[str]:
    return {args.split("=")[0] for op, args in instructions(dockerfile) if op == "ARG"}


def pip_installs(dockerfile: Path) -> str:
    return " ".join(
        args for op, args in instructions(dockerfile) if op == "RUN" and "pip install" in args
    )


def test_the_bot_image_is_slim_without_torch():
    steps = instructions(BOT_DOCKERFILE)
    assert steps[0] == ("FROM", "python:3.11-slim")
    installs = pip_installs(BOT_DOCKERFILE)
    assert "[bot]" in installs
    for heavy in ("worker", "train", "torch"):
        assert heavy not in installs
    assert "torch" not in " ".join(args for _, args in steps)
    assert ("CMD", '["faqbot", "bot"]') in steps
    assert ("EXPOSE", "3000") in steps
    assert any(
        op == "HEALTHCHECK" and "faqbot-healthcheck" in args and "bot" in args for op, args in steps
    )


def test_the_worker_image_installs_torch_from_a_chosen_index_then_the_worker_extras():
    steps = instructions(WORKER_DOCKERFILE)
    assert steps[0] == ("FROM", "python:3.11-slim")
    args = dict(a.split("=", 1) for op, a in steps if op == "ARG")
    assert args["TORCH_INDEX_URL"] == "https://download.pytorch.org/whl/cpu"
    makefile_pin = re.search(
        r"^TORCH := torch==(\S+)", (ROOT / "Makefile").read_text(), re.MULTILINE
    )
    assert args["TORCH_VERSION"] == makefile_pin.group(1)
    installs = [a for op, a in steps if op == "RUN" and "pip install" in a]
    assert '--index-url "${TORCH_INDEX_URL}"' in installs[0] and "torch==" in installs[0]
    assert "[worker,train]" in installs[1]
    assert ("CMD", '["faqbot", "worker"]') in steps


@pytest.mark.parametrize("dockerfile", [BOT_DOCKERFILE, WORKER_DOCKERFILE], ids=["bot", "worker"])
def test_images_run_as_a_non_root_user_and_copy_what_the_package_needs(dockerfile):
    steps = instructions(dockerfile)
    users = [args for op, args in steps if op == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    # The last USER comes after every step that needs root.
    last_user = max(i for i, (op, _) in enumerate(steps) if op == "USER")
    assert not [op for op, _ in steps[last_user:] if op in ("RUN", "COPY", "ADD")]
    copied = {part for op, args in steps if op == "COPY" for part in args.split()[:-1]}
    pyproject = (ROOT / "pyproject.toml").read_text()
    packages = re.search(r"include = \[(.*?)\]", pyproject).group(1)
    for package in re.findall(r'"(\w+)\*"', packages):
        assert package in copied, f"{dockerfile.name} does not copy the {package} package"
    ignored = (ROOT / ".dockerignore").read_text().split()
    for source in copied:
        assert (ROOT / source).exists(), source
        assert source.split("/")[0] not in ignored, f"{source} is in .dockerignore"
    assert "deploy/docker/healthcheck.py" in copied


def test_secrets_and_local_state_stay_out_of_the_build_context():
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".git", ".venv", "**/.env", "**/*.env"} <= ignored
    assert {"production.env", "k8s/secret.yaml"} <= set((DEPLOY / ".gitignore").read_text().split())


# --- the commands the files run ---------------------------------------------------------------


def faqbot_commands() -> list[list[str]]:
    """Every `faqbot ...` command line in the compose file, the manifests and the images."""
    commands = [
        s["command"]
        for s in compose()["services"].values()
        if isinstance(s.get("command"), list) and s["command"][0] == "faqbot"
    ]
    for document in k8s_documents():
        for container in containers(document):
            if container.get("command", [""])[0] == "faqbot":
                commands.append(container["command"])
    for dockerfile in (BOT_DOCKERFILE, WORKER_DOCKERFILE):
        for op, args in instructions(dockerfile):
            if op == "CMD":
                commands.append(yaml.safe_load(args))
    return commands


def test_every_faqbot_command_and_option_the_deploy_files_use_exists():
    executable = Path(sys.executable).parent / "faqbot"
    run = [str(executable)] if executable.exists() else [sys.executable, "-m", "faqbot"]
    by_subcommand: dict[str, set[str]] = {}
    for command in faqbot_commands():
        options = {arg.split("=")[0] for arg in command[2:] if arg.startswith("--")}
        by_subcommand.setdefault(command[1], set()).update(options)
        if "--queues" in command:
            queues = command[command.index("--queues") + 1].split(",")
            assert set(queues) <= set(QUEUES), command
    assert {"bot", "worker", "beat"} <= set(by_subcommand)
    env = {**os.environ, "COLUMNS": "200", "TERM": "dumb", "NO_COLOR": "1"}
    for subcommand, options in by_subcommand.items():
        result = output_of([*run, subcommand, "--help"], env=env, timeout=120)
        assert result.returncode == 0, f"faqbot {subcommand}: {result.stderr}"
        offered = set(re.findall(r"--[a-z][a-z0-9-]*", result.stdout))
        assert options <= offered, f"faqbot {subcommand} has no {sorted(options - offered)}"


def test_every_health_check_the_deploy_files_use_exists():
    result = output_of([sys.executable, str(HEALTHCHECK), "--help"], timeout=60)
    assert result.returncode == 0
    modes = set(re.search(r"\{([a-z,]+)\}", result.stdout).group(1).split(","))
    used = [
        s["healthcheck"]["test"][1:]
        for s in compose()["services"].values()
        if s["healthcheck"]["test"][1] == "faqbot-healthcheck"
    ]
    for document in k8s_documents():
        for container in containers(document):
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                command = container.get(probe, {}).get("exec", {}).get("command")
                if command:
                    used.append(command)
    for dockerfile in (BOT_DOCKERFILE, WORKER_DOCKERFILE):
        for op, args in instructions(dockerfile):
            if op == "HEALTHCHECK":
                used.append(yaml.safe_load(args.partition("CMD")[2]))
    assert len(used) >= 10
    for command in used:
        assert command[0] == "faqbot-healthcheck" and command[1] in modes, command


# --- Kubernetes ---------------------------------------------------------------------------------


def k8s_documents(include_example: bool = False) -> list[dict]:
    documents = []
    for path in sorted(K8S.glob("*.yaml")):
        if path.name == "kustomization.yaml" or (path == SECRET_EXAMPLE and not include_example):
            continue
        documents += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return documents


def containers(document: dict) -> list[dict]:
    if document.get("kind") not in ("Deployment", "StatefulSet", "Job", "CronJob"):
        return []
    spec = document["spec"]
    if document["kind"] == "CronJob":
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"]["containers"]


def deployments() -> dict[str, dict]:
    return {d["metadata"]["name"]: d for d in k8s_documents() if d["kind"] == "Deployment"}


def test_kustomization_lists_every_manifest_and_no_secret():
    kustomization = yaml.safe_load((K8S / "kustomization.yaml").read_text())
    files = {p.name for p in K8S.glob("*.yaml")} - {"kustomization.yaml", SECRET_EXAMPLE.name}
    assert set(kustomization["resources"]) == files
    assert "Secret" not in {d["kind"] for d in k8s_documents()}
    assert not kustomization.get("secretGenerator")


def test_every_deployment_probes_every_container_and_runs_as_non_root():
    found = deployments()
    assert set(found) >= {"faqbot-bot", *K8S_WORKER_QUEUES, "faqbot-beat"}
    for name, deployment in found.items():
        pod = deployment["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True, name
        assert pod["enableServiceLinks"] is False, name  # FAQBOT_* service variables would clash
        for container in pod["containers"]:
            for probe in ("livenessProbe", "readinessProbe"):
                assert probe in container, f"{name}/{container['name']} has no {probe}"
            assert container["securityContext"]["allowPrivilegeEscalation"] is False


def test_workers_beat_and_trainer_in_kubernetes():
    found = deployments()
    for name, queue in K8S_WORKER_QUEUES.items():
        command = found[name]["spec"]["template"]["spec"]["containers"][0]["command"]
        assert command[:2] == ["faqbot", "worker"]
        assert command[command.index("--queues") + 1] == queue
    beat = found["faqbot-beat"]
    assert beat["spec"]["replicas"] == 1 and beat["spec"]["strategy"]["type"] == "Recreate"
    trainer = found["faqbot-trainer"]["spec"]["template"]["spec"]["containers"][0]
    assert trainer["resources"]["limits"]["nvidia.com/gpu"] >= 1
    assert trainer["image"] == "faqbot-worker-gpu"
    bot = found["faqbot-bot"]["spec"]["template"]["spec"]["containers"][0]
    assert bot["image"] == "faqbot-bot" and bot["command"] == ["faqbot", "bot"]


def test_the_bot_service_targets_the_port_the_bot_listens_on():
    documents = k8s_documents()
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    port = int(config["FAQBOT_SLACK_PORT"])
    service = next(
        d for d in documents if d["kind"] == "Service" and d["metadata"]["name"] == "faqbot-bot"
    )
    bot = deployments()["faqbot-bot"]
    assert (
        service["spec"]["selector"].items() <= bot["spec"]["template"]["metadata"]["labels"].items()
    )
    container = bot["spec"]["template"]["spec"]["containers"][0]
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    for target in (p["targetPort"] for p in service["spec"]["ports"]):
        assert ports.get(target, target) == port
    for probe in ("livenessProbe", "readinessProbe"):
        get = container[probe]["httpGet"]
        assert get["path"] == "/healthz" and ports.get(get["port"], get["port"]) == port


def test_the_weaviate_url_reaches_weaviate_over_http_and_grpc():
    from urllib.parse import urlsplit

    from workers.store.weaviate.connection import GRPC_PORT

    documents = k8s_documents()
    config = next(d for d in documents if d["kind"] == "ConfigMap")["data"]
    url = urlsplit(config["FAQBOT_WEAVIATE_URL"])
    service = next(
        d for d in documents if d["kind"] == "Service" and d["metadata"]["name"] == url.hostname
    )
    assert {url.port, GRPC_PORT} <= {p["port"] for p in service["spec"]["ports"]}
    weaviate = next(d for d in documents if d["kind"] == "StatefulSet")
    container = weaviate["spec"]["template"]["spec"]["containers"][0]
    assert container["image"].split(":")[0].endswith("semitechnologies/weaviate")
    env = {e["name"]: e["value"] for e in container["env"]}
    assert env["DEFAULT_VECTORIZER_MODULE"] == "none" and env["ENABLE_MODULES"] == ""
    mounts = {m["mountPath"] for m in container["volumeMounts"]}
    assert env["PERSISTENCE_DATA_PATH"] in mounts
    assert "livenessProbe" in container and "readinessProbe" in container


def test_what_the_manifests_reference_exists_and_secrets_are_only_examples():
    documents = k8s_documents()
    secret = yaml.safe_load(SECRET_EXAMPLE.read_text())
    assert secret["kind"] == "Secret"
    for key, value in secret["stringData"].items():
        if SECRET_NAME.search(key) or key == "FAQBOT_DATABASE_URL":
            assert "REPLACE-ME" in value, key
    config_maps = {d["metadata"]["name"]: d["data"] for d in documents if d["kind"] == "ConfigMap"}
    claims = {d["metadata"]["name"] for d in documents if d["kind"] == "PersistentVolumeClaim"}
    for name, deployment in deployments().items():
        pod = deployment["spec"]["template"]["spec"]
        for volume in pod.get("volumes", []):
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, name
        for container in pod["containers"]:
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    assert source["secretRef"]["name"] == secret["metadata"]["name"]
                if "configMapRef" in source:
                    assert source["configMapRef"]["name"] in config_maps
            for variable in container.get("env", []):
                ref = variable.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    assert ref["name"] == secret["metadata"]["name"]
                    assert ref["key"] in secret["stringData"], f"{name}: {ref['key']}"
    for data in config_maps.values():
        assert set(data) - settings_variables() <= NOT_SETTINGS
        assert not [key for key in data if SECRET_NAME.search(key)]
    for path in K8S.glob("*.yaml"):
        assert not SLACK_TOKEN.search(path.read_text()), path


def test_kustomize_builds_the_manifests():
    if not shutil.which("kubectl"):
        pytest.skip("kubectl is not installed")
    result = output_of(["kubectl", "kustomize", str(K8S)], timeout=120)
    assert result.returncode == 0, result.stderr
    built = [d for d in yaml.safe_load_all(result.stdout) if d]
    assert {d["kind"] for d in built} >= {"Deployment", "Service", "ConfigMap", "Namespace"}
    assert {d["metadata"].get("namespace") for d in built if d["kind"] != "Namespace"} == {"faqbot"}
    images = {c["image"] for d in built for c in containers(d)}
    assert all("/" in image for image in images), images  # mapped to a registry


# --- the health check -------------------------------------------------------------------------


def healthcheck(mode: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    return output_of(
        [sys.executable, str(HEALTHCHECK), mode, "--timeout", "3"], env=env, cwd=cwd, timeout=60
    )


def test_the_health_check_finds_faqbot_processes_by_command_line(tmp_path):
    sys.path.insert(0, str(HEALTHCHECK.parent))
    try:
        import healthcheck as module
    finally:
        sys.path.remove(str(HEALTHCHECK.parent))
    lines = {
        "10": ["/usr/local/bin/python", "/usr/local/bin/faqbot", "worker", "--queues=x"],
        "11": ["python", "-m", "faqbot", "worker"],
        "12": ["faqbot", "beat"],
        "13": ["python", "/usr/local/bin/faqbot-healthcheck", "worker"],
        "14": ["celery", "worker"],
        "self": ["faqbot", "worker"],
    }
    for pid, args in lines.items():
        (tmp_path / pid).mkdir()
        (tmp_path / pid / "cmdline").write_bytes(b"\0".join(a.encode() for a in args) + b"\0")
    assert module.faqbot_processes("worker", tmp_path) == [10, 11]
    assert module.faqbot_processes("beat", tmp_path) == [12]
    assert module.node_names([10])[0].startswith("faqbot-10@")


class Healthz(http.server.BaseHTTPRequestHandler):
    status = 200

    def do_GET(self):
        self.send_response(self.status if self.path == "/healthz" else 404)
        self.end_headers()
        self.wfile.write(b'{"ok": false}')

    def log_message(self, *args):
        pass


def test_the_bot_health_check_reads_healthz(tmp_path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Healthz)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAQBOT_")}
    env["FAQBOT_SLACK_PORT"] = str(server.server_address[1])
    try:
        assert healthcheck("bot", env, tmp_path).returncode == 0
        Healthz.status = 503  # Redis down
        result = healthcheck("bot", env, tmp_path)
        assert result.returncode == 1 and "503" in result.stderr
    finally:
        Healthz.status = 200
        server.shutdown()
        server.server_close()
    result = healthcheck("bot", env, tmp_path)  # nothing listens any more
    assert result.returncode == 1 and "unhealthy" in result.stderr


@pytest.mark.slow
def test_the_health_check_tells_a_running_worker_and_beat_from_stopped_ones(
    tmp_path, model_cache, redis_url
):
    from faqbot.shared_state import redis_client
    from tests.conftest import worker_env

    redis_client(redis_url).flushdb()
    env = worker_env(
        tmp_path / "data", model_cache, f"sqlite:///{tmp_path / 'faqbot.db'}", redis_url
    )
    executable = Path(sys.executable).parent / "faqbot"
    run = [str(executable)] if executable.exists() else [sys.executable, "-m", "faqbot"]
    sys.path.insert(0, str(HEALTHCHECK.parent))
    try:
        import healthcheck as module
    finally:
        sys.path.remove(str(HEALTHCHECK.parent))
    # A `faqbot beat` of someone else's on this machine would pass the beat check (it asks
    # Redis, not the process): only then is "not running" left unchecked for beat.
    others = {"worker": False, "beat": bool(module.faqbot_processes("beat"))}
    started = []
    try:
        for mode, command in (("worker", ["worker", "--queues", "ingest"]), ("beat", ["beat"])):
            if not others[mode]:
                assert healthcheck(mode, env, tmp_path).returncode == 1  # not started yet
            log = (tmp_path / f"{mode}.log").open("w")
            process = subprocess.Popen(
                [*run, *command],
                env=env,
                cwd=tmp_path,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            started.append(process)
            deadline = time.monotonic() + 240
            while (result := healthcheck(mode, env, tmp_path)).returncode != 0:
                assert process.poll() is None, (tmp_path / f"{mode}.log").read_text()[-2000:]
                assert time.monotonic() < deadline, result.stderr
                time.sleep(2)
            assert result.stdout.strip() == "healthy"
        for process, mode in zip(started, ("worker", "beat"), strict=True):
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(60)
            if not others[mode]:
                result = healthcheck(mode, env, tmp_path)
                assert result.returncode == 1 and "unhealthy" in result.stderr
    finally:
        for process in started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(30)
        redis_client(redis_url).flushdb()
