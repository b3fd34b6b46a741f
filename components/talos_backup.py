"""Scheduled etcd backups from inside the cluster: siderolabs/talos-backup as a CronJob, for clusters no
`pulumi up` touches for weeks. On when `talos-cluster:etcdBackups.schedule` is set.

What talos-backup needs, from its README and cronjob.sample.yaml (v0.1.0-beta.3): a CronJob running
`/talos-backup` with its settings as environment variables (cmd pkg/config/service.go GetServiceConfig:
CUSTOM_S3_ENDPOINT, BUCKET, AWS_REGION, S3_PREFIX, CLUSTER_NAME, AGE_X25519_PUBLIC_KEY, USE_PATH_STYLE, and the
AWS SDK's AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), a talosconfig mounted at /var/run/secrets/talos.dev (Talos
writes it into the Secret named after a `talos.dev/v1alpha1` ServiceAccount whose roles Talos allows:
internal/app/machined/pkg/controllers/kubeaccess/serviceaccount/crd_controller.go newSecret), and Talos API
access for that role and namespace in the control planes' machine configs (prepared_for_talos_backup).
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_kubernetes as kubernetes

from .talos.backups.settings import EtcdBackups
from .talos.definition.model import ClusterDefinition
from .talos.errors import ConfigError
from .talos.versions import parse_contract

NAMESPACE = "kube-system"
ROLE = "os:etcd:backup"
TALOS_SERVICE_ACCOUNT = "talos-backup-secrets"  # the name cronjob.sample.yaml gives it; Talos's Secret has it too
CREDENTIALS_SECRET = "talos-backup-s3"
CA_PATH = "/etc/talos-backup/ca.crt"


def api_access_patch(talos_version: str) -> str:
    """Talos API access from pods, for the backup role in this namespace, as the version reads it: the
    KubeTalosAPIAccessConfig document from v1.14 (pkg/machinery/config/types/k8s/talos_api_access.go, which
    refuses the deprecated field beside it), machine.features.kubernetesTalosAPIAccess before. Control planes
    only: Talos refuses both on workers (v1alpha1_validation.go, container/validate.go ControlplaneOnlyConfig)."""
    if parse_contract(talos_version).greater(1, 13):
        return (f"apiVersion: v1alpha1\nkind: KubeTalosAPIAccessConfig\nallowedRoles:\n  - {ROLE}\n"
                f"allowedKubernetesNamespaces:\n  - {NAMESPACE}\n")
    return (f"machine:\n  features:\n    kubernetesTalosAPIAccess:\n      enabled: true\n      allowedRoles:\n"
            f"        - {ROLE}\n      allowedKubernetesNamespaces:\n        - {NAMESPACE}\n")


def prepared_for_talos_backup(definition: ClusterDefinition) -> ClusterDefinition:
    """The definition with talos-backup's Talos API access on every control plane."""
    if not parse_contract(definition.talos_version).greater(1, 5):
        raise ConfigError(f"{definition.source}: talosVersion {definition.talos_version}: scheduled etcd backups "
                          "(talos-cluster:etcdBackups.schedule) need Talos API access from pods, from v1.6; expected "
                          "v1.6 or newer")
    return definition.with_control_plane_patch(api_access_patch(definition.talos_version))


def environment(settings: EtcdBackups, cluster_name: str) -> list[dict[str, Any]]:
    """talos-backup's settings (pkg/config/service.go at v0.1.0-beta.3), the S3 keys from the Secret."""
    s3 = settings.s3
    assert s3 is not None  # checked at load: a schedule needs s3
    values = {"AWS_REGION": s3.region, "CUSTOM_S3_ENDPOINT": s3.endpoint, "BUCKET": s3.bucket,
              "CLUSTER_NAME": cluster_name, "S3_PREFIX": s3.key_prefix(cluster_name),
              "AGE_X25519_PUBLIC_KEY": settings.age_recipients[0],
              # v0.1.0-beta.3 reads `UsePathStyle: os.Getenv("USE_PATH_STYLE") == "false"`: "false" turns path-style
              # addressing on, which buckets behind a custom endpoint (MinIO, Garage) need, as this program uses
              "USE_PATH_STYLE": "false"}
    env: list[dict[str, Any]] = [{"name": name, "value": value} for name, value in values.items()]
    env += [{"name": name, "valueFrom": {"secretKeyRef": {"name": CREDENTIALS_SECRET, "key": name}}}
            for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")]
    if s3.ca_certificate:
        env.append({"name": "SSL_CERT_FILE", "value": CA_PATH})  # Go's crypto/x509 trusts that file alone
    return env


def job_spec(settings: EtcdBackups, cluster_name: str) -> dict[str, Any]:
    """cronjob.sample.yaml's pod: non-root, read-only capabilities dropped, /tmp for the snapshot."""
    mounts: list[dict[str, Any]] = [{"mountPath": "/tmp", "name": "tmp"},
                                    {"mountPath": "/var/run/secrets/talos.dev", "name": "talos-secrets"}]
    volumes: list[dict[str, Any]] = [{"name": "tmp", "emptyDir": {}},
                                     {"name": "talos-secrets", "secret": {"secretName": TALOS_SERVICE_ACCOUNT}}]
    if settings.s3 is not None and settings.s3.ca_certificate:
        mounts.append({"mountPath": CA_PATH, "name": "s3-ca", "subPath": "ca.crt", "readOnly": True})
        volumes.append({"name": "s3-ca", "secret": {"secretName": CREDENTIALS_SECRET,
                                                    "items": [{"key": "ca.crt", "path": "ca.crt"}]}})
    container: dict[str, Any] = {
        "name": "talos-backup", "image": settings.schedule_image, "workingDir": "/tmp",
        "imagePullPolicy": "IfNotPresent", "command": ["/talos-backup"], "env": environment(settings, cluster_name),
        "securityContext": {"runAsUser": 1000, "runAsGroup": 1000, "allowPrivilegeEscalation": False,
                            "runAsNonRoot": True, "capabilities": {"drop": ["ALL"]},
                            "seccompProfile": {"type": "RuntimeDefault"}},
        "volumeMounts": mounts}
    return {"template": {"spec": {"containers": [container], "restartPolicy": "OnFailure", "volumes": volumes}}}


class TalosBackup(pulumi.ComponentResource):
    """talos-backup on a schedule, with the Talos ServiceAccount its role needs and the S3 keys as a Secret."""

    def __init__(self, name: str, kubeconfig: pulumi.Input[str], settings: EtcdBackups, cluster_name: str,
                 after: list[pulumi.Resource], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("talos-cluster:index:TalosBackup", name, {}, opts)
        assert settings.s3 is not None and settings.schedule
        provider = kubernetes.Provider(f"{name}-kubernetes", kubeconfig=kubeconfig,
                                       opts=pulumi.ResourceOptions(parent=self))
        # after Talos health: the configs that allow the role are applied and Talos has installed its CRD
        child = pulumi.ResourceOptions(parent=self, provider=provider, depends_on=after)
        keys = settings.credentials()
        data = {"AWS_ACCESS_KEY_ID": keys["access_key_id"], "AWS_SECRET_ACCESS_KEY": keys["secret_access_key"]}
        if settings.s3.ca_certificate:
            data["ca.crt"] = settings.s3.ca_certificate
        # plain dicts typed Any: the SDK's nested TypedDict unions make mypy's inference of literals explode
        metadata: Any = {"name": CREDENTIALS_SECRET, "namespace": NAMESPACE}
        credentials = kubernetes.core.v1.Secret(f"{name}-s3", metadata=metadata,
                                                string_data=pulumi.Output.secret(data), opts=child)
        metadata = {"name": TALOS_SERVICE_ACCOUNT, "namespace": NAMESPACE}
        account = kubernetes.apiextensions.CustomResource(
            f"{name}-service-account", api_version="talos.dev/v1alpha1", kind="ServiceAccount",
            metadata=metadata, spec={"roles": [ROLE]}, opts=child)
        metadata = {"name": "talos-backup", "namespace": NAMESPACE}
        spec: Any = {"schedule": settings.schedule, "jobTemplate": {"spec": job_spec(settings, cluster_name)}}
        self.cron_job = kubernetes.batch.v1.CronJob(
            f"{name}-cron-job", metadata=metadata, spec=spec,
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[credentials, account])))
        self.register_outputs({"schedule": settings.schedule})
