"""Cases for ClusterConfig.Validate and what it calls (types/v1alpha1: v1alpha1_validation.go,
v1alpha1_apiserverconfig.go, v1alpha1_controllermanagerconfig.go, v1alpha1_schedulerconfig.go,
v1alpha1_resourcesconfig.go, v1alpha1_authorizaationconfigauthorizer.go), from v1alpha1_validation_test.go
TestValidate and TestValidateCNI where they have them."""

from __future__ import annotations

from components.talos.validation.registry import Mode

from . import Case
from ._configs import controlplane, with_, worker

_TEST = "types/v1alpha1/v1alpha1_validation_test.go TestValidate"
_CNI = "types/v1alpha1/v1alpha1_validation_test.go TestValidateCNI"


def _cni(**cni: object) -> list[dict[str, object]]:
    return [with_(controlplane(), "cluster.network", {"cni": cni})]


def _etcd(**etcd: object) -> list[dict[str, object]]:
    return [with_(controlplane(), "cluster.etcd", {"ca": {"crt": "Zm9v", "key": "YmFy"}, **etcd})]


def _api_server(**api_server: object) -> list[dict[str, object]]:
    return [with_(controlplane(), "cluster.apiServer", api_server)]


CASES: list[Case] = [
    Case("R483", lambda: [{"version": "v1alpha1", "machine": worker()["machine"]}],
         "cluster instructions are required"),
    Case("R484", lambda: [with_(worker(), "cluster.controlPlane", {"localAPIServerPort": 6443})],
         "cluster controlplane endpoint is required"),
    Case("R484", lambda: [with_(worker(), "cluster", {"clusterName": "a"})],
         "cluster controlplane endpoint is required",
         minor=13, mode=Mode.CLOUD),
    Case("R485", lambda: [with_(worker(), "cluster.controlPlane.endpoint", "https://[fd00::1:6443")],
         "invalid controlplane endpoint: "),
    Case("R485", lambda: [with_(worker(), "cluster.controlPlane.endpoint", "https://10.0.0.1:70000")],
         "invalid controlplane endpoint: port number must be between 1 and 65535"),
    Case("R486", lambda: [with_(worker(), "cluster.network", {"dnsDomain": "cluster .local"})],
         '"cluster .local" is not a valid DNS name'),
    Case("R496", lambda: [with_(worker(), "cluster.externalCloudProvider", {"manifests": ["https://www.example.com/"
                                                                                          "manifest1.yaml"]})],
         "external cloud provider is disabled, but manifests are provided",
         source=f"{_TEST}/ExternalCloudProviderExtraManifests"),
    Case("R497", lambda: [with_(worker(), "cluster.externalCloudProvider", {"enabled": True, "manifests": [
        "/manifest.yaml"]})],
        'invalid external cloud provider manifest url "/manifest.yaml": hostname must not be blank',
         source=f"{_TEST}/ExternalCloudProviderInvalidManifests"),
    Case("X03", lambda: [with_(controlplane(), "cluster.etcd", {})], "key/cert combination should not be empty",
         source=f"{_TEST}/EtcdMissingCa"),
    Case("R487", lambda: [with_(worker(), "cluster.etcd", {})], "etcd config is only allowed on control plane machines",
         source=f"{_TEST}/EtcdConfigProvidedForWorker"),
    Case("R545", lambda: _etcd(subnet="10.0.0.0/8", advertisedSubnets=["10.0.0.0/8"]),
         "etcd subnet can't be set when advertised subnets are set"),
    Case("R546", lambda: _etcd(advertisedSubnets=["1234:"], listenSubnets=["10"]),
         'etcd advertised subnet is not valid: "1234:"', source=f"{_TEST}/BadEtcdSubnet"),
    Case("R547", lambda: _etcd(advertisedSubnets=["1234:"], listenSubnets=["10"]),
         'etcd listen subnet is not valid: "10"',
         source=f"{_TEST}/BadEtcdSubnet"),
    Case("R488", lambda: [with_(worker(), "cluster.ca", {"crt": "Zm9v", "key": "YmFy"})],
         "cluster CA key is not allowed on non-controlplane nodes (.cluster.ca)"),
    Case("R498", lambda: [with_(worker(), "cluster.inlineManifests", [{"name": "", "contents": "a"}])],
         "inline manifest name can't be empty", source=f"{_TEST}/InlineManifests"),
    Case("R499", lambda: [with_(worker(), "cluster.inlineManifests", [{"name": "foo", "contents": "a"},
                                                                      {"name": "foo", "contents": "b"}])],
         'inline manifest name "foo" is duplicate', source=f"{_TEST}/InlineManifests"),
    Case("R500", lambda: [with_({**controlplane(), "cluster": {**controlplane()["cluster"], "id": "foo",
                                                               "secret": "bar"}},
                                "cluster.discovery", {"enabled": True,
                                                      "registries": {"service": {"endpoint": "foo"}}})],
         'cluster discovery service registry endpoint is invalid: parse "foo": invalid URI for request',
         source=f"{_TEST}/DiscoveryServiceEndpoint"),
    Case("R501", lambda: [with_({**controlplane(), "cluster": {**controlplane()["cluster"], "id": "foo",
                                                               "secret": "bar"}},
                                "cluster.discovery", {"enabled": True, "registries": {"service": {
                                    "endpoint": "https://discovery.example.com/v1"}}})],
         "cluster discovery service path should be empty"),
    Case("R502", lambda: [with_(controlplane(), "cluster.discovery", {"enabled": True})],
         "cluster discovery service requires .cluster.id", source=f"{_TEST}/DiscoveryServiceClusterIDSecret"),
    Case("R503", lambda: [with_(controlplane(), "cluster.discovery", {"enabled": True})],
         "cluster discovery service requires .cluster.secret", source=f"{_TEST}/DiscoveryServiceClusterIDSecret"),
    Case("R426", lambda: _api_server(authorizationConfig=[], extraArgs={"authorization-mode": "Node"}),
         "authorization-mode cannot be used in conjunction with AuthorizationConfig",
         source=f"{_TEST}/ControlPlaneAuthorizationConfigWithAuthorizationModeFlag"),
    Case("R427", lambda: _api_server(authorizationConfig=[], extraArgs={"authorization-webhook-version": "v1"}),
         "authorization-webhook-* flags cannot be used in conjunction with AuthorizationConfig",
         source=f"{_TEST}/ControlPlaneAuthorizationConfigWithAuthorizationWebhook"),
    Case("R428", lambda: _api_server(authorizationConfig=[{"name": "foo"}]),
         "apiserver authorization config validation failed: authorizer type must be set",
         source=f"{_TEST}/ControlPlaneInvalidAuthorizationConfig"),
    Case("R430", lambda: _api_server(authorizationConfig=[{"name": "foo"}]), "authorizer type must be set",
         source=f"{_TEST}/ControlPlaneInvalidAuthorizationConfig"),
    Case("R431", lambda: _api_server(authorizationConfig=[{"type": "Webhook"}]), "authorizer name must be set"),
    Case("R432", lambda: _api_server(authorizationConfig=[{"type": "ABAC", "name": "abac"}]),
         "authorizer type ABAC is not allowed, allowed types are [Node RBAC Webhook]"),
    Case("R429", lambda: _api_server(resources={"requests": {"cpu": "1m", "invalid1": "23"}}),
         'apiserver resource validation failed: unsupported pod resource "invalid1"',
         source=f"{_TEST}/ControlPlanePodResources"),
    Case("R440", lambda: _api_server(resources={"requests": {"cpu": "1m", "invalid1": "23"}}),
         'unsupported pod resource "invalid1"', source=f"{_TEST}/ControlPlanePodResources"),
    Case("R433", lambda: [with_(controlplane(), "cluster.controllerManager", {"resources": {"limits": {
        "memory": "1m", "invalid2": "23"}}})],
         'controller-manager resource validation failed: unsupported pod resource "invalid2"',
         source=f"{_TEST}/ControlPlanePodResources"),
    Case("R441", lambda: [with_(controlplane(), "cluster.scheduler", {"resources": {"requests": {"cpu": "1m"},
                                                                                    "limits": {"invalid3": "23"}}})],
         'scheduler resource validation failed: unsupported pod resource "invalid3"',
         source=f"{_TEST}/ControlPlanePodResources"),
    Case("R495", lambda: _cni(), 'cni name should be one of ["flannel", "custom", "none"]', source=f"{_CNI}/Empty"),
    Case("R495", lambda: _cni(name="cilium"), 'cni name should be one of ["flannel", "custom", "none"]'),
    Case("R489", lambda: _cni(name="flannel", urls=["https://example.com/manifest.yaml"]),
         '"urls" field should be empty for "flannel" CNI', source=f"{_CNI}/FlannelManifests"),
    Case("R490", lambda: _cni(name="none", urls=["https://example.com/manifest.yaml"]),
         '"urls" field should be empty for "none" CNI', source=f"{_CNI}/NoneManifests"),
    Case("R491", lambda: _cni(name="none", flannel={"extraArgs": ["--iface=eth0"]}),
         '"flanneldExtraArgs" field should be empty for "none" CNI'),
    Case("R492", lambda: _cni(name="none", flannel={"kubeNetworkPoliciesEnabled": True}),
         '"flannelKubeNetworkPoliciesEnabled" should not be enabled for "none" CNI'),
    Case("R493", lambda: _cni(name="custom", urls=["https://example.com/cni.yaml"],
                              flannel={"extraArgs": ["--iface=eth0"]}),
         '"flanneldExtraArgs" field should be empty for "custom" CNI'),
    Case("R494", lambda: _cni(name="custom", urls=["https://example.com/cni.yaml"],
                              flannel={"kubeNetworkPoliciesEnabled": True}),
         '"flannelKubeNetworkPoliciesEnabled" should not be enabled for "custom" CNI'),
    Case("R482", lambda: _cni(name="custom"), '"urls" field should not be empty for "custom" CNI', warning=True,
         source=f"{_CNI}/CustomNoManifests"),
    Case("X02", lambda: _cni(name="custom", urls=["/manifest.yaml"]), "hostname must not be blank",
         source=f"{_CNI}/CustomInvalidManifests"),
]

ACCEPTED = [
    ("ExternalCloudProviderEnabled", lambda: [with_(worker(), "cluster.externalCloudProvider", {
        "enabled": True, "manifests": ["https://www.example.com/manifest1.yaml"]})], Mode.CLOUD),
    ("GoodEtcdSubnet", lambda: _etcd(advertisedSubnets=["10.0.0.0/8", "!1.1.1.1/32"],
                                     listenSubnets=["10.0.0.0/8", "1.1.1.1/32"]), Mode.CLOUD),
    ("etcd subnet (deprecated, still decoded)", lambda: _etcd(subnet="10.0.0.0/8"), Mode.CLOUD),
    ("a worker's CNI name is not Talos's to check", lambda: [with_(worker(), "cluster.network.cni",
                                                                   {"name": "cilium"})], Mode.CLOUD),
    ("allowSchedulingOnMasters (deprecated, still decoded)", lambda: [with_(controlplane(),
                                                                            "cluster.allowSchedulingOnMasters", True)],
     Mode.CLOUD),
    ("custom CNI with urls", lambda: _cni(name="custom", urls=["https://example.com/cni.yaml"]), Mode.CLOUD),
    ("no cni: flannel", lambda: [with_(controlplane(), "cluster.network", {"dnsDomain": "cluster.local"})], Mode.CLOUD),
]
