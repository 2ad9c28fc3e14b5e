"""The deployable artifact (issue 26; docs/scale-out.md): the app pushed with `spin registry push`
to a real OCI registry (Debian's `docker-registry`, the CNCF distribution server) on loopback,
then run with `spin up --from <reference>` from an empty directory, with an empty download
cache, where no spin.toml and no component file is in reach: the black-box smoke must pass.
This is the artifact SpinKube pulls; deploy/spinkube/spinapp.yaml names it the same way.

Spin 4.0.2 talks HTTPS to every registry, loopback included, unless `--insecure`/`-k` is given:
then it speaks plain HTTP (spin_oci::Client::build_config maps `insecure` to
ClientProtocol::Http; there is no localhost exception). The local registry here is plain HTTP,
so both push and pull pass `-k`; a registry with TLS needs neither.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from pathlib import Path

import pytest
import yaml

from conftest import (
    COMPONENTS,
    MANIFEST,
    ROOT,
    Client,
    Proc,
    Spin,
    app_metadata,
    free_port,
    require_components,
    require_program,
    smoke,
    spin_binary,
    tail,
    wait_until,
)

SPIN_APP_MEDIA_TYPE = "application/vnd.fermyon.spin.application.v1+config"
WASM_LAYER_MEDIA_TYPE = "application/vnd.wasm.content.layer.v1+wasm"
OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"
SPINAPP = ROOT / "deploy" / "spinkube" / "spinapp.yaml"


class Registry:
    """`docker-registry serve` with a config file and a storage directory of its own."""

    def __init__(self, workdir: Path):
        binary = require_program("docker-registry", "docker-registry")
        workdir.mkdir(parents=True, exist_ok=True)
        self.port = free_port()
        self.host = f"127.0.0.1:{self.port}"
        config = workdir / "config.yml"
        config.write_text(yaml.safe_dump({
            "version": 0.1,
            "log": {"level": "info", "accesslog": {"disabled": False}},
            "storage": {"filesystem": {"rootdirectory": str(workdir / "storage")}, "delete": {"enabled": True}},
            "http": {"addr": self.host},
        }))
        self.proc = Proc([binary, "serve", str(config)], workdir / "registry.log", workdir)
        self.client = Client(f"http://{self.host}", timeout=30)

        def ready():
            if not self.proc.running():
                raise AssertionError(f"docker-registry exited:\n{tail(self.proc.log_path)}")
            try:
                return self.client.get("/v2/").status == 200
            except OSError:
                return False

        wait_until(ready, 30, "the registry to answer /v2/")

    def log(self) -> str:
        return self.proc.log_path.read_text(errors="replace")

    def stop(self) -> None:
        self.proc.stop()


def run_spin(args: list[str], workdir: Path, cwd: Path, timeout: float = 300) -> tuple[int, str]:
    """Runs a short Spin command in its own process group; returns its exit code and output."""
    log = workdir / f"spin-{len(list(workdir.glob('spin-*.log')))}.log"
    proc = Proc([spin_binary(), *args], log, cwd)
    try:
        code = proc.proc.wait(timeout=timeout)
    finally:
        proc.stop()
    return code, log.read_text(errors="replace")


def artifact_name() -> tuple[str, str]:
    """The repository name and tag the app is published under: spin.toml's name and version."""
    meta = app_metadata()
    return meta["name"], meta["version"]


@pytest.fixture(scope="module")
def registry(tmp_path_factory, spin_bin):
    require_components()
    reg = Registry(tmp_path_factory.mktemp("registry"))
    try:
        yield reg
    finally:
        reg.stop()


@pytest.fixture(scope="module")
def pushed(registry, tmp_path_factory):
    """The app pushed from this checkout; returns (reference, digest)."""
    name, tag = artifact_name()
    reference = f"{registry.host}/{name}:{tag}"
    work = tmp_path_factory.mktemp("push")
    code, out = run_spin(["registry", "push", "-k", "--cache-dir", str(work / "cache"), "-f", str(MANIFEST), reference],
                         work, cwd=ROOT)
    assert code == 0, f"spin registry push {reference} failed:\n{out}\nregistry log:\n{registry.log()[-3000:]}"
    match = re.search(r"Pushed with digest (sha256:[0-9a-f]{64})", out)
    assert match, out
    return reference, match.group(1)


def test_the_spinapp_manifest_names_the_artifact_that_is_pushed():
    """SpinKube pulls `spec.image`; its repository ends in spin.toml's application name and its
    tag is spin.toml's version, which is what the tests below push and run."""
    name, tag = artifact_name()
    image = next(d for d in yaml.safe_load_all(SPINAPP.read_text()) if d and d.get("kind") == "SpinApp")["spec"]["image"]
    repository, _, image_tag = image.rpartition(":")
    assert repository.rsplit("/", 1)[-1] == name and image_tag == tag, \
        f"spinapp.yaml's image {image!r} must be <registry>/<namespace>/{name}:{tag} (spin.toml's name and version)"


def test_the_registry_holds_this_app_as_an_oci_artifact(registry, pushed):
    reference, digest = pushed
    name, tag = artifact_name()
    r = registry.client.get(f"/v2/{name}/manifests/{tag}", headers={"accept": OCI_MANIFEST})
    assert r.status == 200, r.text
    assert r.header("docker-content-digest") == digest
    assert "sha256:" + hashlib.sha256(r.body).hexdigest() == digest
    manifest = r.json()
    kinds = [layer["mediaType"] for layer in manifest["layers"]]
    assert kinds.count(WASM_LAYER_MEDIA_TYPE) == len(COMPONENTS), kinds
    assert kinds.count(SPIN_APP_MEDIA_TYPE) == 1, kinds

    # The locked application inside is this checkout's: its components, routes and variables.
    layer = next(layer for layer in manifest["layers"] if layer["mediaType"] == SPIN_APP_MEDIA_TYPE)
    blob = registry.client.get(f"/v2/{name}/blobs/{layer['digest']}")
    assert blob.status == 200
    locked = blob.json()
    source = tomllib.loads(MANIFEST.read_text())
    assert sorted(c["id"] for c in locked["components"]) == sorted(source["component"])
    routes = sorted(t["trigger_config"]["route"] for t in locked["triggers"])
    assert routes == sorted(t["route"] for t in source["trigger"]["http"])
    assert set(locked["variables"]) == set(source["variables"])
    # Every component's Wasm is a layer of the artifact, not a path on this machine.
    wasm_digests = {layer["digest"] for layer in manifest["layers"] if layer["mediaType"] == WASM_LAYER_MEDIA_TYPE}
    assert {c["source"]["digest"] for c in locked["components"]} == wasm_digests
    assert all("source" not in c["source"] for c in locked["components"]), "a component names a file"
    assert str(ROOT) not in blob.text, "the artifact refers to the checkout"


def test_spin_up_from_the_registry_with_no_checkout_passes_the_smoke(registry, pushed, tmp_path):
    reference, _ = pushed
    empty = tmp_path / "empty"
    empty.mkdir()
    cache = tmp_path / "download-cache"
    app = Spin("registry app", reference, tmp_path / "run", cwd=empty,
               extra=["-k", "--cache-dir", str(cache)])
    try:
        smoke(app.client)
        assert list(empty.iterdir()) == [], "spin up wrote into the empty directory"
    finally:
        app.stop()
    # It came through the registry: the manifest and the component blobs were fetched, and the
    # download cache (empty before) holds the five components.
    name, tag = artifact_name()
    log = registry.log()
    assert re.search(rf'"GET /v2/{name}/manifests/{re.escape(tag)} HTTP/1\.1" 200', log), log[-3000:]
    assert len(re.findall(rf'"GET /v2/{name}/blobs/sha256:[0-9a-f]+ HTTP/1\.1" 200', log)) >= len(COMPONENTS), log[-3000:]
    wasm = [p for p in cache.rglob("*") if p.is_file() and p.read_bytes()[:4] == b"\0asm"]
    assert len(wasm) >= len(COMPONENTS), sorted(str(p) for p in cache.rglob("*"))


def test_spin_talks_https_to_a_registry_unless_told_insecure(registry, tmp_path):
    """Why the commands in docs/scale-out.md carry `-k` for a plain-HTTP registry on loopback:
    without it Spin 4.0.2 tries TLS, even to 127.0.0.1."""
    name, tag = artifact_name()
    code, out = run_spin(["registry", "push", "--cache-dir", str(tmp_path / "cache"), "-f", str(MANIFEST),
                          f"{registry.host}/{name}:tls-{tag}"], tmp_path, cwd=ROOT)
    assert code != 0, out
    assert f"https://{registry.host}/" in out, out
    r = registry.client.get(f"/v2/{name}/manifests/tls-{tag}", headers={"accept": OCI_MANIFEST})
    assert r.status == 404, "nothing was pushed"
