"""Cases for v1alpha1 Config.Validate's machine checks (types/v1alpha1/v1alpha1_validation.go), from
v1alpha1_validation_test.go TestValidate where it has them; the v1.12/v1.13-only rules (rules_extra.tsv) target
those releases."""

from __future__ import annotations

from components.talos.validation.registry import Mode

from . import Case
from ._configs import controlplane, typed, with_, worker

_TEST = "types/v1alpha1/v1alpha1_validation_test.go TestValidate"
# KubeSpan needs the discovery service and the cluster identity (container/validate.go, before: Config.Validate)
_DISCOVERY = {**worker(), "cluster": {**worker()["cluster"], "id": "Y2x1c3Rlcg==", "secret": "c2VjcmV0",
                                      "discovery": {"enabled": True}}}
_NO_CA = {"version": "v1alpha1", "machine": {"type": "worker"},
          "cluster": {"controlPlane": {"endpoint": "https://localhost:6443/"}}}


def _install(**fields: object) -> dict[str, object]:
    return with_(worker(), "machine.install", {"image": "ghcr.io/siderolabs/installer:v1.14.0", **fields})


CASES: list[Case] = [
    Case("R445", lambda: [{"version": "v1alpha1", "machine": None}], "machine instructions are required",
         source=f"{_TEST}/NoMachine"),
    Case("R482", lambda: [with_(worker(), "machine.type", "")], 'use "worker" instead of "" for machine type',
         warning=True, source=f"{_TEST}/NoMachineType"),
    Case("R482", lambda: [with_(worker(), "machine.type", "join")], 'use "worker" instead of "join" for machine type',
         warning=True, source=f"{_TEST}/JoinMachineType"),
    Case("R482", lambda: [with_(worker(), "machine.type", "")], 'warning: use "worker" instead of "" for machine type',
         strict=True, source=f"{_TEST}/NoMachineTypeStrict"),
    Case("R482", lambda: [with_(worker(), "machine.files", [{"path": "/var/example", "op": "create", "content": ""}])],
         ".machine.files is deprecated; use dedicated configuration documents instead", warning=True,
         source=f"{_TEST}/MachineFilesDeprecated"),
    Case("R446", lambda: [_install(diskSelector={"name": "sda"})],
         "install disk selector is invalid: selector on name is not supported"),
    Case("R438", lambda: [_install(diskSelector={"name": "sda"})], "selector on name is not supported"),
    Case("R439", lambda: [_install(diskSelector={"type": "tape"})],
         'install disk selector is invalid: unsupported disk type "tape"'),
    Case("R447", lambda: [_install()], "either install disk or diskSelector should be defined",
         source=f"{_TEST}/NoMachineInstall"),
    Case("R448", lambda: [_install(disk="/dev/vda", extraKernelArgs=["foo=bar"], grubUseUKICmdline=True)],
         "install.extraKernelArgs and install.grubUseUKICmdline can't be used together",
         source=f"{_TEST}/MachineInstallExtraArgsAndGrubUseUKICmdline"),
    Case("R449", lambda: [with_(controlplane(), "machine.features.hostDNS", {"enabled": False,
                                                                          "forwardKubeDNSToHost": True})],
         "feature hostDNS.forwardKubeDNSToHost requires hostDNS.enabled to be true (.machine.features.hostDNS)",
         source=f"{_TEST}/ForwardKubeDNSToHostWithoutHostDNS"),
    Case("R450", lambda: [_NO_CA], "issuing CA or some accepted CAs are required (.machine.ca, machine.acceptedCAs)"),
    Case("R451", lambda: [with_(_NO_CA, "machine.type", "controlplane")], "issuing CA is required (.machine.ca)"),
    Case("R452", lambda: [with_(controlplane(), "machine.ca", {"crt": "Zm9v"})],
         "issuing CA key is required for controlplane nodes (.machine.ca.key)", source=f"{_TEST}/ControlplaneNoCAKey"),
    Case("R455", lambda: [with_(worker(), "machine.ca.key", "YmFy")],
         "issuing Talos API CA key is not allowed on non-controlplane nodes (.machine.ca)"),
    Case("R456", lambda: [with_(worker(), "machine.ca", {"key": ""})],
         "trusted CA certificates are required on non-controlplane nodes (.machine.ca.crt, .machine.acceptedCAs)",
         source=f"{_TEST}/WorkerNoAcceptedCAs"),
    Case("R457", lambda: [with_(worker(), "cluster.ca", {"crt": "Zm9v", "key": "YmFy"})],
         "issuing Kubernetes API CA key is not allowed on non-controlplane nodes (.cluster.ca)"),
    Case("R458", lambda: [with_(worker(), "machine.type", "master")], 'unknown machine type "master"'),
    Case("R463", lambda: [with_(worker(), "machine.disks", [None])], "machine.disks[0] is null"),
    Case("R464", lambda: [with_(worker(), "machine.disks", [{"device": "/dev/sdb", "partitions": [
        {"mountpoint": "/var/a"}, {"size": "10 GB", "mountpoint": "/var/b"}]}])],
         'partition for disk "/dev/sdb" is set to occupy full disk, but it\'s not the last partition in the list'),
    Case("R543", lambda: [with_(worker(), "machine.kubelet", {"nodeIP": {"validSubnets": ["10.0.0.0.3",
                                                                                          "[fd00::169:254:2:53]:344"]}})],
         'kubelet nodeIP subnet is not valid: "[fd00::169:254:2:53]:344"', source=f"{_TEST}/BadKubeletSubnet"),
    Case("R544", lambda: [with_(worker(), "machine.kubelet", {"extraConfig": {"port": 345}})],
         'kubelet configuration field "port" can\'t be overridden', source=f"{_TEST}/BadKubeletExtraConfig"),
    Case("R465", lambda: [with_(worker(), "machine.systemDiskEncryption", {"state": {"provider": "luks2",
                                                                                     "keys": []}})],
         'partition "STATE": no encryption keys provided'),
    Case("R466", lambda: [with_(worker(), "machine.systemDiskEncryption", {"ephemeral": {"provider": "luks2", "keys": [
        {"slot": 0, "nodeID": {}}, {"slot": 0,
                                    "tpm": {}}]}})], 'partition "EPHEMERAL": encryption key slot 0 is already in use'),
    Case("R467", lambda: [with_(worker(), "machine.systemDiskEncryption", {"ephemeral": {"provider": "luks2", "keys": [
        {"slot": 1}]}})], 'partition "EPHEMERAL": encryption key at slot 1 doesn\'t have the configuration parameters'),
    Case("R468", lambda: [with_(worker(), "machine.network.kubespan", {"enabled": True, "filters": {
        "endpoints": ["0.0.0.0/0", "!10", "123::/456"]}})], 'KubeSpan endpoint filter is not valid: "10"',
         source=f"{_TEST}/BadKubeSpanEndpointFilters"),
    Case("R469", lambda: [with_(worker(), "machine.network.kubespan", {"enabled": True, "filters": {
        "excludeAdvertisedNetworks": ["192.168.1.0/24", "invalid", "123::/456"]}})],
         'KubeSpan exclude advertised networks filter is not valid: "invalid"',
         source=f"{_TEST}/BadKubeSpanAdvertisedNetworkFilters"),
    Case("R462", lambda: [with_(worker(), "machine.network.kubespan", {"enabled": True, "mtu": 1000})],
         "kubespan link MTU must be at least 1280", source=f"{_TEST}/KubeSpanSmallMTU"),
    Case("R434", lambda: [with_(worker(), "machine.logging", {"destinations": [{"format": "json_lines"}]})],
         "empty logging endpoint"),
    Case("R435", lambda: [with_(worker(), "machine.logging", {"destinations": [{"endpoint": "udp:///path",
                                                                                "format": "json_lines"}]})],
         "empty logging endpoint's host"),
    Case("R436", lambda: [with_(worker(), "machine.logging", {"destinations": [{"endpoint": "http://10.0.0.1:3000",
                                                                                "format": "json_lines"}]})],
         'unexpected logging endpoint scheme "http"'),
    Case("R437", lambda: [with_(worker(), "machine.logging", {"destinations": [{"endpoint": "udp://10.0.0.1:3000",
                                                                                "format": "syslog"}]})],
         'unknown logging format "syslog"'),
    Case("R470", lambda: [_install(disk="/dev/vda", extensions=[{"image": "ghcr.io/siderolabs/gvisor:1"},
                                                                {"image": "ghcr.io/siderolabs/gvisor:1"}])],
         'duplicate system extension "ghcr.io/siderolabs/gvisor:1"',
         source=f"{_TEST}/MachineInstallExtensionsDuplicate"),
    Case("R471", lambda: [with_(worker(), "machine.nodeLabels", {"/foo": "bar", "key": "value", "talos.dev/foo": "bar",
                                                                 "@!": "#$", "123@.dev/": "456", "a/b/c": "a" * 64})],
         'invalid machine node labels: 6 errors occurred:\n\t* prefix cannot be empty: "/foo"\n'
         '\t* prefix "123@.dev" is invalid: domain doesn\'t match required format: "123@.dev"\n'
         '\t* name "@!" is invalid\n\t* label value "#$" is invalid\n\t* invalid format: too many slashes: "a/b/c"\n'
         f'\t* label value length exceeds limit of 63: "{"a" * 64}"\n\n', source=f"{_TEST}/NodeLabels"),
    Case("R472", lambda: [with_(worker(), "machine.nodeAnnotations", {"talos.dev/owned-labels": "[]"})],
         'invalid machine node annotations: 1 error occurred:\n\t* annotation "talos.dev/owned-labels" is reserved'),
    Case("R473", lambda: [with_(worker(), "machine.nodeTaints", {"dedicated": "gpu:NoRun"})],
         'invalid machine node taints: 1 error occurred:\n\t* invalid taint effect: "NoRun"'),
    Case("R474", lambda: [with_(worker(), "machine.features.kubernetesTalosAPIAccess", {"enabled": True})],
         "feature Kubernetes Talos API Access can only be enabled on control plane machines",
         source=f"{_TEST}/TalosAPIAccessWorker"),
    Case("R475", lambda: [with_(controlplane(), "machine.features.kubernetesTalosAPIAccess", {
        "enabled": True, "allowedRoles": ["os:reader", "invalid:role1", "os:etcd:backup", "invalid:role2"]})],
         'invalid role "invalid:role2" in allowed roles for Kubernetes Talos API Access',
         source=f"{_TEST}/TalosAPIAccessInvalidRole"),
    Case("R475", lambda: [with_(controlplane(), "machine.features.kubernetesTalosAPIAccess", {
        "enabled": True, "allowedRoles": ["os:meta:writer"]})],
         'invalid role "os:meta:writer" in allowed roles for Kubernetes Talos API Access', minor=13),
    Case("R476", lambda: [with_(controlplane(), "machine.features.nodeAddressSortAlgorithm", "xyz")],
         "invalid node address sort algorithm: xyz does not belong to AddressSortAlgorithm values",
         source=f"{_TEST}/MachineFeaturesInvalidAddressSortingAlgorithm"),
    Case("R477", lambda: [{**worker(), "persist": False}], ".persist should be enabled"),
    Case("R478", lambda: [with_(worker(), "machine.baseRuntimeSpecOverrides", {"process": {"rlimits": float("nan")}})],
         "failed to marshal base runtime spec overrides: json: unsupported value: NaN"),
    Case("R479", lambda: [with_(worker(), "machine.baseRuntimeSpecOverrides", {"process": {"cwd": ["/"]}})],
         "failed to unmarshal base runtime spec overrides: json: cannot unmarshal array into Go struct field "
         "Spec.process.cwd of type string"),
    Case("R480", lambda: [with_(worker(), "machine.registries", {"config": {"ghcr.io": None}})],
         'registries.config["ghcr.io"] is null'),
    Case("R481", lambda: [with_(worker(), "machine.registries", {"mirrors": {"docker.io": None}})],
         'registries.mirrors["docker.io"] is null'),
    Case("R548", lambda: [with_(worker(), "machine.kubelet", {"image": "ghcr.io/siderolabs/kubelet:v1.28.0"})],
         "kubelet image is not valid: version of Kubernetes 1.28.0 is too old to be used with Talos 1.14.0"),
    Case("R548", lambda: [with_(worker(), "machine.kubelet", {"image": "ghcr.io/siderolabs/kubelet:latest"})],
         'kubelet image is not valid: failed to parse Kubernetes version from image reference '
         '"ghcr.io/siderolabs/kubelet:latest": invalid image reference'),
    Case("R549", lambda: [with_(controlplane(), "cluster.apiServer",
                                {"image": "registry.k8s.io/kube-apiserver:v1.38.0"})],
         "kube-apiserver image is not valid: version of Kubernetes 1.38.0 is too new to be used with Talos 1.14.0"),
    # v1.12 and v1.13 only (rules_extra.tsv)
    Case("X04", lambda: [worker()], 'install instructions are required in "metal" mode', minor=13),
    Case("X05", lambda: [worker()], "feature HostDNS should be enabled in container mode", minor=13,
         mode=Mode.CONTAINER),
    Case("X06", lambda: [with_(worker(), "machine.features.hostDNS", {"enabled": True})],
         "feature HostDNS should forward kube-dns to host in container mode", minor=13, mode=Mode.CONTAINER),
    Case("X07", lambda: [with_(worker(), "machine.network.kubespan", {"enabled": True})],
         ".cluster.discovery should be enabled when .machine.network.kubespan is enabled", minor=13, mode=Mode.CLOUD),
    Case("X08", lambda: [with_(worker(), "machine.network.kubespan", {"enabled": True})],
         ".cluster.id should be set when .machine.network.kubespan is enabled", minor=12, mode=Mode.CLOUD),
    Case("X09", lambda: [with_(worker(), "machine.network.kubespan", {"enabled": True})],
         ".cluster.secret should be set when .machine.network.kubespan is enabled", minor=12, mode=Mode.CLOUD),
    Case("X10", lambda: [with_(worker(), "machine.kubelet", {"image": "ghcr.io/siderolabs/kubelet:v1.37.0"})],
         "kubelet image is not valid: version of Kubernetes 1.37.0 is too new to be used with Talos 1.13.0", minor=13,
         mode=Mode.CLOUD),
    Case("X11", lambda: [with_(controlplane(), "cluster.scheduler",
                               {"image": "registry.k8s.io/kube-scheduler:v1.29.3"})],
         "kube-scheduler image is not valid: version of Kubernetes 1.29.3 is too old to be used with Talos 1.12.0",
         minor=12, mode=Mode.CLOUD),
]

# TestValidate's configs Talos accepts (no error), for the test that nothing valid is refused
ACCEPTED = [
    ("JoinMachineType", lambda: [with_(worker(), "machine.type", "join")], Mode.CLOUD),
    ("init machine type", lambda: [with_(controlplane(), "machine.type", "init")], Mode.CLOUD),
    ("WorkerOnlyAcceptedCAs", lambda: [with_(with_(worker(), "machine.ca", None), "machine.acceptedCAs",
                                             [{"crt": "Zm9v"}])], Mode.CLOUD),
    ("NoMachineInstallNotRequired", lambda: [worker()], Mode.CLOUD),
    ("MachineInstallDisk", lambda: [_install(disk="/dev/vda")], Mode.METAL),
    ("GoodKubeletSubnet", lambda: [with_(worker(), "machine.kubelet", {"nodeIP": {"validSubnets": [
        "10.0.0.0/8", "!10.0.0.3/32", "!fd00::169:254:2:53/128"]}})], Mode.CLOUD),
    ("GoodKubeSpanEndpointFilters", lambda: [with_(_DISCOVERY, "machine.network.kubespan", {"enabled": True,
                                                                                            "filters": {
        "endpoints": ["0.0.0.0/0", "!192.168.0.0/16", "2001::/16"]}})], Mode.CLOUD),
    ("GoodKubeSpanAdvertisedNetworkFilters", lambda: [with_(_DISCOVERY, "machine.network.kubespan", {
        "enabled": True, "filters": {"excludeAdvertisedNetworks": ["192.168.1.0/24", "2003::/16"]}})], Mode.CLOUD),
    ("address sort algorithm in upper case", lambda: [with_(worker(), "machine.features.nodeAddressSortAlgorithm",
                                                            "V2")], Mode.CLOUD),
    ("os:meta:writer from v1.14", lambda: [with_(controlplane(), "machine.features.kubernetesTalosAPIAccess", {
        "enabled": True, "allowedRoles": ["os:meta:writer", "os:image:verifier"]})], Mode.CLOUD),
    ("disk selector size", lambda: [_install(diskSelector={"size": ">= 100GB", "type": "ssd"})], Mode.METAL),
    ("KubeNodeConfig next to a v1.14 worker", lambda: [worker(), typed("KubeNodeConfig", labels={"a": "b"})],
     Mode.CLOUD),
]
