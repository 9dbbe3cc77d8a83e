"""deploy/kubernetes/: the manifests agree with each other, with the Dockerfile, with the
README and with app/settings.py, and the pod is sized from its own settings.

Every check is a function of the parsed files; the tests run each one on the real files and,
so that a check cannot pass vacuously, on copies broken one field at a time (each must fail).
Nothing here needs a cluster, Docker or the network.
"""

import copy
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from app.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "kubernetes"
README_SECTION = "Running past one machine (Kubernetes)"

# The memory arithmetic of deployment.yaml (its comment says why):
#   limit >= UVICORN_WORKERS x (SERVER_MIB + BPV_WORKERS x BPV_WORKER_MEMORY_MB) + OVERHEAD_MIB
SERVER_MIB = 300  # one uvicorn server process, which has no address-space cap of its own
OVERHEAD_MIB = 64  # multiprocessing's resource tracker and, with several, uvicorn's supervisor
ENGINE_START_S = 60  # an engine process is given this long to import numpy and the engine
OTHER_ENV = {"UVICORN_WORKERS", "OPENBLAS_NUM_THREADS"}  # read by the image, not by Settings
SIZING_ENV = ("UVICORN_WORKERS", "BPV_WORKERS", "BPV_WORKER_MEMORY_MB")


@dataclass
class Files:
    docs: list  # every Kubernetes object in deploy/kubernetes/*.yaml except the kustomization
    files: dict  # file name -> its objects
    kustomization: dict
    dockerfile: str
    readme: str


def load():
    files, kustomization = {}, None
    for path in sorted(K8S.glob("*.y*ml")):
        objects = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
        if path.name == "kustomization.yaml":
            kustomization = objects[0]
        else:
            files[path.name] = objects
    return Files(docs=[d for objects in files.values() for d in objects], files=files,
                 kustomization=kustomization, dockerfile=(ROOT / "Dockerfile").read_text(),
                 readme=(ROOT / "README.md").read_text())


# ---- reading the files ----------------------------------------------------------------------

def one(f, kind):
    found = [d for d in f.docs if d.get("kind") == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def pod(f):
    return one(f, "Deployment")["spec"]["template"]["spec"]


def container(f):
    containers = pod(f)["containers"]
    assert len(containers) == 1, "one container: the app"
    return containers[0]


def env(f):
    """The container's environment as name -> value (values as written)."""
    return {e["name"]: e.get("value") for e in container(f).get("env", [])}


def settings(f):
    """app.settings.Settings built from the manifest's BPV_* variables (validated)."""
    return Settings(**{k[4:].lower(): v for k, v in env(f).items() if k.startswith("BPV_")})


def dockerfile_port(f):
    exposed = re.findall(r"^EXPOSE\s+(\d+)", f.dockerfile, re.M)
    cmd = re.search(r"^CMD .*--port[ =](\d+)", f.dockerfile, re.M)
    assert exposed and cmd, "the Dockerfile EXPOSEs a port and its CMD serves on it"
    assert {int(p) for p in exposed} == {int(cmd.group(1))}, "EXPOSE and --port disagree"
    return int(cmd.group(1))


def dockerfile_uid(f):
    uid = re.search(r"useradd\b[^\n]*--uid[ =](\d+)", f.dockerfile)
    assert uid, "the Dockerfile creates its user with a fixed --uid"
    return int(uid.group(1))


def readme_section(f):
    m = re.search(rf"^## {re.escape(README_SECTION)}\n(.*?)(?=^## |\Z)", f.readme, re.M | re.S)
    assert m, f"README has a section '## {README_SECTION}'"
    return m.group(1)


def port_number(port, c):
    """A probe's or a Service's port, a number or the name of one of the container's ports."""
    if isinstance(port, int):
        return port
    named = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    assert port in named, f"no container port is named {port!r}"
    return named[port]


_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12, "P": 10**15, "E": 10**18}


def mebibytes(quantity):
    """A Kubernetes memory quantity (4608Mi, 4.5Gi, 5G, 123456789) in MiB."""
    m = re.fullmatch(r"([0-9.]+(?:[eE][0-9]+)?)([A-Za-z]*)", str(quantity))
    assert m, f"not a memory quantity: {quantity!r}"
    number, suffix = float(m.group(1)), m.group(2)
    assert suffix in {"", *_BINARY, *_DECIMAL}, f"unknown memory suffix in {quantity!r}"
    return number * {"": 1, **_BINARY, **_DECIMAL}[suffix] / 2**20


def cores(quantity):
    """A Kubernetes CPU quantity (2, "2", 1.5, 500m) in cores."""
    q = str(quantity)
    assert re.fullmatch(r"[0-9.]+m?", q), f"not a CPU quantity: {quantity!r}"
    return float(q[:-1]) / 1000 if q.endswith("m") else float(q)


def subset(small, big):
    return bool(small) and all(big.get(k) == v for k, v in small.items())


# ---- the checks -----------------------------------------------------------------------------

def check_kinds(f):
    expected = {"Deployment": "apps/v1", "Service": "v1",
                "HorizontalPodAutoscaler": "autoscaling/v2", "PodDisruptionBudget": "policy/v1"}
    for kind, api in expected.items():
        d = one(f, kind)
        assert d["apiVersion"] == api, f"{kind} is {d['apiVersion']}, expected {api}"
        assert d.get("metadata", {}).get("name"), f"{kind} has a name"


def check_kustomization(f):
    k = f.kustomization
    assert k is not None, "deploy/kubernetes/kustomization.yaml exists"
    assert k["kind"] == "Kustomization"
    assert sorted(k.get("resources", [])) == sorted(f.files), \
        "the kustomization lists every manifest in the folder, and only those"


def check_labels_and_selectors(f):
    deployment = one(f, "Deployment")
    template = deployment["spec"]["template"]["metadata"]["labels"]
    selector = deployment["spec"]["selector"]["matchLabels"]
    assert "app.kubernetes.io/name" in selector
    assert subset(selector, template), "the Deployment's selector matches its pod template"
    name = template["app.kubernetes.io/name"]
    for d in f.docs:
        assert d["metadata"].get("labels", {}).get("app.kubernetes.io/name") == name, \
            f"{d['kind']} carries app.kubernetes.io/name={name}"
    service = one(f, "Service")["spec"]["selector"]
    assert service == selector, "the Service selects exactly the Deployment's pods"
    for spread in pod(f).get("topologySpreadConstraints", []):
        assert subset(spread["labelSelector"]["matchLabels"], template), \
            "a topology spread constraint counts the Deployment's own pods"


def check_ports(f):
    port = dockerfile_port(f)
    c = container(f)
    assert [p["containerPort"] for p in c["ports"]] == [port], \
        f"the container port is the Dockerfile's {port}"
    service = one(f, "Service")["spec"]
    assert service.get("type", "ClusterIP") == "ClusterIP"
    [sp] = service["ports"]
    assert sp["port"] == 80
    assert port_number(sp.get("targetPort", sp["port"]), c) == port, \
        f"the Service's targetPort is the container's port {port}"


def check_probes(f):
    c, port = container(f), dockerfile_port(f)
    probes = {}
    for kind in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert kind in c, f"the container has a {kind}"
        probe = c[kind]
        assert probe["httpGet"]["path"] == "/healthz", f"{kind} asks /healthz"
        assert port_number(probe["httpGet"]["port"], c) == port, f"{kind} asks port {port}"
        probes[kind] = {"period": probe.get("periodSeconds", 10),
                        "failures": probe.get("failureThreshold", 3),
                        "timeout": probe.get("timeoutSeconds", 1),
                        "delay": probe.get("initialDelaySeconds", 0)}
    window = {k: p["delay"] + p["period"] * p["failures"] for k, p in probes.items()}
    assert window["startupProbe"] >= ENGINE_START_S, \
        f"a slow start ({ENGINE_START_S} s for the engine processes) does not restart the pod"
    assert window["livenessProbe"] >= 30, \
        "liveness tolerates /healthz failing for a while (workers replaced under a burst)"
    assert window["livenessProbe"] > window["readinessProbe"], \
        "a failing pod leaves the Service before it is restarted"
    assert probes["livenessProbe"]["timeout"] >= 2, "liveness allows a busy event loop"


def check_resources(f):
    r = container(f).get("resources", {})
    requests, limits = r.get("requests", {}), r.get("limits", {})
    for what in ("cpu", "memory"):
        assert what in requests and what in limits, f"{what} request and limit are set"
    assert mebibytes(requests["memory"]) <= mebibytes(limits["memory"])
    assert cores(requests["cpu"]) <= cores(limits["cpu"])

    e = env(f)
    for name in SIZING_ENV:
        assert name in e, f"{name} is set explicitly beside the sizing"
    uvicorn, workers, cap = (int(e[name]) for name in SIZING_ENV)
    need = uvicorn * (SERVER_MIB + workers * cap) + OVERHEAD_MIB
    assert mebibytes(limits["memory"]) >= need, (
        f"memory limit {limits['memory']} < {uvicorn} x ({SERVER_MIB} + {workers} x {cap})"
        f" + {OVERHEAD_MIB} = {need} MiB")
    assert cores(requests["cpu"]) >= uvicorn * workers, \
        "one core requested per engine process (UVICORN_WORKERS x BPV_WORKERS)"
    assert cores(limits["cpu"]) >= uvicorn * (workers + 1), \
        "a saturated pod (engine processes + server event loops) is not throttled"
    assert e.get("OPENBLAS_NUM_THREADS") == "1", "one core per engine process, as sized"


def check_security(f):
    p, c = pod(f), container(f)
    psc, csc = p.get("securityContext", {}), c.get("securityContext", {})

    def effective(key):
        return csc.get(key, psc.get(key))

    assert effective("runAsNonRoot") is True
    uid = effective("runAsUser")
    assert uid == dockerfile_uid(f) and uid != 0, "runs as the image's numeric non-root user"
    assert csc.get("allowPrivilegeEscalation") is False
    assert "ALL" in csc.get("capabilities", {}).get("drop", [])
    assert csc.get("readOnlyRootFilesystem") is True
    assert effective("seccompProfile") == {"type": "RuntimeDefault"}
    volumes = {v["name"]: v for v in p.get("volumes", [])}
    tmp = [m for m in c.get("volumeMounts", []) if m["mountPath"] == "/tmp"]
    assert tmp and "emptyDir" in volumes.get(tmp[0]["name"], {}), \
        "a writable emptyDir at /tmp under the read-only root"


def check_settings_env(f):
    fields = set(Settings.model_fields)
    for item in container(f).get("env", []):
        name = item["name"]
        assert isinstance(item.get("value"), str), \
            f"{name}: Kubernetes wants env values as strings (quote them)"
        if name.startswith("BPV_"):
            assert name == name.upper() and name[4:].lower() in fields, \
                f"{name} is not a setting of app/settings.py"
        else:
            assert name in OTHER_ENV, f"{name} is neither a BPV_* setting nor one the image reads"
    settings(f)  # raises pydantic's ValidationError for a value of the wrong type
    assert re.search(r"^CMD .*\$\{?UVICORN_WORKERS\b", f.dockerfile, re.M), \
        "the image's CMD reads UVICORN_WORKERS"


def check_termination(f):
    p, c, s = pod(f), container(f), settings(f)
    pre = c.get("lifecycle", {}).get("preStop", {})
    if "sleep" in pre:
        pause = pre["sleep"]["seconds"]
    else:
        command = pre.get("exec", {}).get("command", [])
        assert command[:1] == ["sleep"], "a preStop pause lets the Service stop routing first"
        pause = float(command[-1])
    assert pause >= 3
    grace = p.get("terminationGracePeriodSeconds", 30)
    assert grace >= pause + s.queue_timeout_s + s.timeout_s + 5, \
        "in-flight requests finish within the grace period"


def check_hpa(f):
    hpa, deployment = one(f, "HorizontalPodAutoscaler")["spec"], one(f, "Deployment")
    ref = hpa["scaleTargetRef"]
    assert (ref["apiVersion"], ref["kind"], ref["name"]) == \
        ("apps/v1", "Deployment", deployment["metadata"]["name"]), "the HPA scales the Deployment"
    assert 1 <= hpa.get("minReplicas", 1) <= hpa["maxReplicas"], "1 <= minReplicas <= maxReplicas"
    cpu = [m["resource"]["target"] for m in hpa.get("metrics", [])
           if m.get("type") == "Resource" and m["resource"]["name"] == "cpu"]
    assert cpu and cpu[0]["type"] == "Utilization" and 0 < cpu[0]["averageUtilization"] <= 100, \
        "the HPA follows CPU utilisation"
    assert "replicas" not in deployment["spec"], \
        "the HPA owns the replica count (kubectl apply would reset it)"


def check_pdb(f):
    pdb, deployment = one(f, "PodDisruptionBudget")["spec"], one(f, "Deployment")["spec"]
    assert pdb["selector"]["matchLabels"] == deployment["selector"]["matchLabels"], \
        "the PDB counts the Deployment's pods"
    assert subset(pdb["selector"]["matchLabels"], deployment["template"]["metadata"]["labels"])
    assert ("minAvailable" in pdb) != ("maxUnavailable" in pdb)
    if isinstance(pdb.get("maxUnavailable"), int):
        assert pdb["maxUnavailable"] >= 1, "0 would block every node drain"
    if isinstance(pdb.get("minAvailable"), int):
        assert pdb["minAvailable"] < one(f, "HorizontalPodAutoscaler")["spec"]["minReplicas"]


def check_image(f):
    section = readme_section(f)
    built = re.findall(r"docker build\b[^\n]*?\s-t\s+(\S+)", section)
    assert built, "the README's Kubernetes section says how to build the image"
    c = container(f)
    image = c["image"]
    assert image.rsplit("/", 1)[-1] == built[0].rsplit("/", 1)[-1], \
        f"the manifest runs {image}, the README builds {built[0]}"
    assert ":" in image.rsplit("/", 1)[-1] and not image.endswith(":latest"), \
        "a pinned tag (':latest' makes Kubernetes pull from a registry every time)"
    assert "command" not in c and "args" not in c, "the Dockerfile's CMD is what runs"
    assert "kubectl apply -k deploy/kubernetes/" in section


CHECKS = [check_kinds, check_kustomization, check_labels_and_selectors, check_ports,
          check_probes, check_resources, check_security, check_settings_env, check_termination,
          check_hpa, check_pdb, check_image]


@pytest.fixture(scope="module")
def files():
    return load()


@pytest.mark.parametrize("check", CHECKS, ids=lambda c: c.__name__)
def test_manifests(files, check):
    check(copy.deepcopy(files))


def test_every_file_is_yaml_objects(files):
    assert set(files.files) >= {"deployment.yaml", "service.yaml", "hpa.yaml", "pdb.yaml"}
    for name, objects in files.files.items():
        assert objects, f"{name} holds at least one object"
        for d in objects:
            assert isinstance(d, dict) and {"apiVersion", "kind", "metadata"} <= set(d), name


# ---- each check fails on a manifest broken where it looks -----------------------------------

def _env_set(name, value):
    def mutate(f):
        for item in container(f)["env"]:
            if item["name"] == name:
                item["value"] = value
                return
        container(f)["env"].append({"name": name, "value": value})
    return mutate


def _rename_env(old, new):
    def mutate(f):
        for item in container(f)["env"]:
            if item["name"] == old:
                item["name"] = new
    return mutate


def _set(path_fn, key, value):
    def mutate(f):
        path_fn(f)[key] = value
    return mutate


def _delete(path_fn, key):
    def mutate(f):
        del path_fn(f)[key]
    return mutate


def _drop_kind(kind):
    def mutate(f):
        f.docs = [d for d in f.docs if d["kind"] != kind]
    return mutate


def _readme_build(tag, image=False):
    def mutate(f):
        f.readme = f.readme.replace(f"docker build -t {container(f)['image']}",
                                    f"docker build -t {tag}")
        if image:
            container(f)["image"] = tag
    return mutate


_csc = lambda f: container(f)["securityContext"]  # noqa: E731
_limits = lambda f: container(f)["resources"]["limits"]  # noqa: E731
_requests = lambda f: container(f)["resources"]["requests"]  # noqa: E731
_hpa = lambda f: one(f, "HorizontalPodAutoscaler")["spec"]  # noqa: E731
_svc_port = lambda f: one(f, "Service")["spec"]["ports"][0]  # noqa: E731

BROKEN = {
    "no Service": (_drop_kind("Service"), check_kinds),
    "no PodDisruptionBudget": (_drop_kind("PodDisruptionBudget"), check_kinds),
    "kustomization forgets pdb.yaml": (
        lambda f: f.kustomization["resources"].remove("pdb.yaml"), check_kustomization),
    "template label differs from selector": (
        _set(lambda f: one(f, "Deployment")["spec"]["template"]["metadata"]["labels"],
             "app.kubernetes.io/component", "web"), check_labels_and_selectors),
    "Service selects other pods": (
        _set(lambda f: one(f, "Service")["spec"]["selector"], "app.kubernetes.io/name",
             "other"), check_labels_and_selectors),
    "Service targetPort 8080": (_set(_svc_port, "targetPort", 8080), check_ports),
    "container port is not the Dockerfile's": (
        _set(lambda f: container(f)["ports"][0], "containerPort", 8080), check_ports),
    "Dockerfile serves on another port": (
        lambda f: setattr(f, "dockerfile", f.dockerfile.replace("8000", "9000")), check_ports),
    "readiness asks /health": (
        _set(lambda f: container(f)["readinessProbe"]["httpGet"], "path", "/health"),
        check_probes),
    "liveness on another port": (
        _set(lambda f: container(f)["livenessProbe"]["httpGet"], "port", 8080), check_probes),
    "no startupProbe": (_delete(container, "startupProbe"), check_probes),
    "liveness kills at the first failure": (
        _set(lambda f: container(f)["livenessProbe"], "failureThreshold", 1), check_probes),
    "memory limit 2Gi": (_set(_limits, "memory", "2Gi"), check_resources),
    "BPV_WORKERS 4 with the same limit": (_env_set("BPV_WORKERS", "4"), check_resources),
    "UVICORN_WORKERS 2 with the same limit": (_env_set("UVICORN_WORKERS", "2"),
                                              check_resources),
    "BPV_WORKER_MEMORY_MB 4096 with the same limit": (
        _env_set("BPV_WORKER_MEMORY_MB", "4096"), check_resources),
    "BPV_WORKER_MEMORY_MB left implicit": (
        lambda f: container(f)["env"].remove(
            next(e for e in container(f)["env"] if e["name"] == "BPV_WORKER_MEMORY_MB")),
        check_resources),
    "cpu request above limit": (_set(_requests, "cpu", "8"), check_resources),
    "no requests": (_delete(lambda f: container(f)["resources"], "requests"), check_resources),
    "cpu limit throttles a saturated pod": (_set(_limits, "cpu", "2"), check_resources),
    "runAsNonRoot false": (_set(_csc, "runAsNonRoot", False), check_security),
    "runs as root": (_set(_csc, "runAsUser", 0), check_security),
    "privilege escalation allowed": (_set(_csc, "allowPrivilegeEscalation", True),
                                     check_security),
    "capabilities kept": (_delete(_csc, "capabilities"), check_security),
    "no /tmp under a read-only root": (_delete(container, "volumeMounts"), check_security),
    "typo BPV_WORKRES": (_rename_env("BPV_WORKERS", "BPV_WORKRES"), check_settings_env),
    "lower-case bpv_ name": (_rename_env("BPV_TIMEOUT_S", "BPV_timeout_s"), check_settings_env),
    "a setting that does not exist": (_env_set("BPV_MAX_WORKERS", "3"), check_settings_env),
    "unquoted number": (_env_set("BPV_MAX_QUEUE", 64), check_settings_env),
    "value of the wrong type": (_env_set("BPV_TIMEOUT_S", "two"), check_settings_env),
    "unknown non-BPV variable": (_env_set("WORKERS", "2"), check_settings_env),
    "grace period shorter than a request": (
        _set(pod, "terminationGracePeriodSeconds", 5), check_termination),
    "no preStop": (_delete(container, "lifecycle"), check_termination),
    "HPA targets another Deployment": (
        _set(lambda f: _hpa(f)["scaleTargetRef"], "name", "other"), check_hpa),
    "HPA minReplicas > maxReplicas": (_set(_hpa, "minReplicas", 50), check_hpa),
    "HPA on memory": (
        _set(lambda f: _hpa(f)["metrics"][0]["resource"], "name", "memory"), check_hpa),
    "Deployment fixes replicas": (
        _set(lambda f: one(f, "Deployment")["spec"], "replicas", 3), check_hpa),
    "PDB selects other pods": (
        _set(lambda f: one(f, "PodDisruptionBudget")["spec"]["selector"]["matchLabels"],
             "app.kubernetes.io/name", "other"), check_pdb),
    "PDB blocks every drain": (
        _set(lambda f: one(f, "PodDisruptionBudget")["spec"], "maxUnavailable", 0), check_pdb),
    "manifest runs another image": (_set(container, "image", "other:0.1.0"), check_image),
    "README builds another tag": (_readme_build("backprop-viz:9.9.9"), check_image),
    "image :latest, built as such": (_readme_build("backprop-viz:latest", image=True),
                                     check_image),
    "command overrides the Dockerfile": (_set(container, "command", ["uvicorn"]), check_image),
}


@pytest.mark.parametrize("mutate, check", BROKEN.values(), ids=BROKEN.keys())
def test_check_fails_on_broken_manifest(files, mutate, check):
    broken = copy.deepcopy(files)
    check(broken)  # the unbroken copy passes, so the failure below is the mutation's
    mutate(broken)
    with pytest.raises((AssertionError, ValidationError)):
        check(broken)
