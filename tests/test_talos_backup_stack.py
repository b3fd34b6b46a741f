"""Scheduled backups from inside the cluster: one stack setting installs siderolabs/talos-backup as a CronJob,
with its documented settings, the Talos ServiceAccount its role needs and the Talos API access for it in the
control planes' configs, per Talos version. Off by default."""

from __future__ import annotations

import json
from functools import cache

from components.talos.definition import load
from components.talos.definition.render import render_node_text
from components.talos.documents import decode
from components.talos.secrets import SecretsBundle
from components.talos.versions import parse_contract
from components.talos_backup import prepared_for_talos_backup

from .engine import ProgramRun
from .stacks import run_stack

KEY = "talos-cluster:etcdBackups"
RECIPIENT = "age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p"
SCHEDULED = {"s3": {"endpoint": "https://minio.lan:9000", "bucket": "talos-backups", "accessKeyId": "talos-backup",
                    "secretAccessKey": "s3cr3t-k3y"}, "ageRecipients": [RECIPIENT], "schedule": "0 */6 * * *"}


@cache
def scheduled() -> ProgramRun:
    return run_stack("homelab", {KEY: json.dumps(SCHEDULED)}, secret_keys=(KEY,))


def _access(run: ProgramRun) -> dict[str, object]:
    """hostname → the kubernetesTalosAPIAccess each node's config carries."""
    found = {}
    for apply in run.of_type("talos:MachineConfigApply"):
        legacy = next(d for d in decode(apply.inputs["config"], "config") if "machine" in d)
        found[apply.inputs["hostname"]] = (legacy["machine"].get("features") or {}).get("kubernetesTalosAPIAccess")
    return found


def test_talos_backup_is_off_by_default() -> None:
    run = run_stack("homelab")
    assert not run.of_type("batch/v1:CronJob") and not run.of_type("TalosBackup")
    assert set(_access(run).values()) == {None}


def test_a_schedule_installs_the_talos_backup_cron_job_with_its_documented_settings() -> None:
    run = scheduled()
    job = run.of_type("batch/v1:CronJob")[0]
    assert job.inputs["metadata"] == {"name": "talos-backup", "namespace": "kube-system"}
    assert job.inputs["spec"]["schedule"] == "0 */6 * * *"
    pod = job.inputs["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    container = pod["containers"][0]
    assert container["image"] == "ghcr.io/siderolabs/talos-backup:v0.1.0-beta.3"
    assert container["command"] == ["/talos-backup"] and pod["restartPolicy"] == "OnFailure"
    env = {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}
    assert env["CUSTOM_S3_ENDPOINT"] == "https://minio.lan:9000" and env["BUCKET"] == "talos-backups"
    assert (env["AWS_REGION"], env["CLUSTER_NAME"], env["S3_PREFIX"]) == ("us-east-1", "homelab", "homelab")
    assert env["AGE_X25519_PUBLIC_KEY"] == RECIPIENT and env["USE_PATH_STYLE"] == "false"
    assert env["AWS_SECRET_ACCESS_KEY"] == {"secretKeyRef": {"name": "talos-backup-s3",
                                                             "key": "AWS_SECRET_ACCESS_KEY"}}
    assert {"mountPath": "/var/run/secrets/talos.dev", "name": "talos-secrets"} in container["volumeMounts"]
    assert {"name": "talos-secrets", "secret": {"secretName": "talos-backup-secrets"}} in pod["volumes"]
    assert container["securityContext"]["runAsNonRoot"] is True


def test_the_s3_keys_go_into_a_kubernetes_secret_as_a_pulumi_secret_and_nowhere_else() -> None:
    run = scheduled()
    secret = run.of_type("core/v1:Secret")[0]
    assert "stringData" in secret.secret_inputs
    assert secret.inputs["stringData"]["AWS_SECRET_ACCESS_KEY"] == "s3cr3t-k3y"
    job = run.of_type("batch/v1:CronJob")[0]
    assert "s3cr3t-k3y" not in json.dumps(job.inputs)
    snapshot = run.of_type("talos:EtcdSnapshot")[0]
    assert "credentials" in snapshot.secret_inputs and "s3cr3t-k3y" not in json.dumps(snapshot.inputs["destination"])


def test_the_talos_service_account_asks_for_the_backup_role_after_talos_is_healthy() -> None:
    run = scheduled()
    account = next(r for r in run.registrations if r.type == "kubernetes:talos.dev/v1alpha1:ServiceAccount")
    assert account.inputs["spec"] == {"roles": ["os:etcd:backup"]}
    assert account.inputs["metadata"] == {"name": "talos-backup-secrets", "namespace": "kube-system"}
    health = run.of_type("talos:ClusterHealth")[0]
    assert health.urn in account.dependencies


def test_control_planes_allow_the_backup_role_from_kube_system_and_workers_get_nothing() -> None:
    access = _access(scheduled())
    allowed = {"enabled": True, "allowedRoles": ["os:etcd:backup"], "allowedKubernetesNamespaces": ["kube-system"]}
    assert {host: value for host, value in access.items() if host.startswith("controlplane")} == {
        f"controlplane-0{n}": allowed for n in (1, 2, 3)}
    assert {host: value for host, value in access.items() if host.startswith("worker")} == {
        "worker-01": None, "worker-02": None}


def test_from_talos_v1_14_the_access_is_a_kube_talos_api_access_config_document() -> None:
    text = """clusterName: next
talosVersion: v1.14.0
kubernetesVersion: v1.36.3
endpoint: https://192.168.1.85:6443
nodes:
  - hostname: cp
    ipAddress: 192.168.1.85
    controlPlane: true
    installDisk: /dev/sda
  - hostname: worker
    ipAddress: 192.168.1.86
    controlPlane: false
    installDisk: /dev/sda
"""
    definition = prepared_for_talos_backup(load.parse_definition(text, "next.yaml", environ={}))
    bundle = SecretsBundle.generate(parse_contract("v1.14.0"))
    control_plane, worker = (decode(render_node_text(definition, node, bundle), "config") for node in definition.nodes)
    documents = [d for d in control_plane if d.get("kind") == "KubeTalosAPIAccessConfig"]
    assert documents == [{"apiVersion": "v1alpha1", "kind": "KubeTalosAPIAccessConfig",
                          "allowedRoles": ["os:etcd:backup"], "allowedKubernetesNamespaces": ["kube-system"]}]
    legacy = next(d for d in control_plane if "machine" in d)
    assert "kubernetesTalosAPIAccess" not in (legacy["machine"].get("features") or {})  # Talos refuses both
    assert not [d for d in worker if d.get("kind") == "KubeTalosAPIAccessConfig"]
