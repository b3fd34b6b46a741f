"""Each stack file, loaded as the engine loads it, runs the whole program under mocks with the real provider
SDK classes: what it creates, with which arguments, in which order, and what it exports."""

from __future__ import annotations

import re

import pytest

from components.cilium import CILIUM_REPOSITORY
from components.talos.definition.load import load_definition
from components.talos.definition.render import node_image
from components.talos.imagefactory import FactoryImage

from .conftest import ROOT
from .engine import ProgramRun
from .stacks import TEST_SECRETS, run_stack, stack_config

DYNAMIC = "pulumi-python:dynamic/talos:"
EXPECTED = {
    "homelab": {"proxmoxve:index/vmLegacy:VmLegacy": 5, "proxmoxve:download/file:File": 2,
                DYNAMIC + "MachineConfigApply": 5, "kubernetes:helm.sh/v3:Release": 1},
    "cross-region": {"proxmoxve:index/vmLegacy:VmLegacy": 3, "proxmoxve:download/file:File": 2,
                     "vultr:index/instance:Instance": 2, "vultr:index/snapshotFromUrl:SnapshotFromUrl": 1,
                     "vultr:index/isoPrivate:IsoPrivate": 0,
                     "vultr:index/firewallGroup:FirewallGroup": 1, "vultr:index/firewallRule:FirewallRule": 5,
                     DYNAMIC + "MachineConfigApply": 6, "kubernetes:helm.sh/v3:Release": 1},
    "dev": {"proxmoxve:index/vmLegacy:VmLegacy": 2, "proxmoxve:download/file:File": 1,
            DYNAMIC + "MachineConfigApply": 2, "kubernetes:helm.sh/v3:Release": 1},
}
STACKS = sorted(EXPECTED)
_RUNS: dict[str, ProgramRun] = {}


def stack_run(stack: str) -> ProgramRun:
    if stack not in _RUNS:
        _RUNS[stack] = run_stack(stack)
    return _RUNS[stack]


def definition_of(stack: str):
    config = (ROOT / f"Pulumi.{stack}.yaml").read_text()
    path = next(line.split(":", 2)[2].strip() for line in config.splitlines()
                if line.strip().startswith("talos-cluster:definition:"))
    return load_definition(ROOT / path)


@pytest.mark.parametrize("stack", STACKS)
def test_each_stack_creates_the_expected_resources(stack):
    run = stack_run(stack)
    counts: dict[str, int] = {}
    for registration in run.registrations:
        counts[registration.type] = counts.get(registration.type, 0) + 1
    assert {kind: counts.get(kind, 0) for kind in EXPECTED[stack]} == EXPECTED[stack]
    for singleton in ("Secrets", "Bootstrap", "Talosconfig", "Kubeconfig", "KubernetesUpgrade"):
        assert counts[DYNAMIC + singleton] == 1
    assert counts[DYNAMIC + "ClusterHealth"] == 2  # Talos and Kubernetes stages; nodes Ready once Cilium runs


@pytest.mark.parametrize("stack", STACKS)
def test_boot_media_urls_carry_each_nodes_schematic_and_talos_version(stack):
    run, definition = stack_run(stack), definition_of(stack)
    expected_proxmox = {node_image(definition, node).iso_url for node in definition.nodes if node.proxmox}
    assert {r.inputs["url"] for r in run.of_type("download/file:File")} == expected_proxmox
    assert all("/v1.13.9/nocloud-amd64.iso" in url for url in expected_proxmox)  # cloud-init for the address
    expected_vultr = {FactoryImage(node_image(definition, node).schematic_id, definition.talos_version, "vultr",
                                   node.arch).uncompressed_disk_image_url for node in definition.nodes if node.vultr}
    assert {r.inputs["url"] for r in run.of_type("snapshotFromUrl:SnapshotFromUrl")} == expected_vultr
    assert all(url.endswith("/v1.13.9/vultr-amd64.raw") for url in expected_vultr)  # Vultr imports raw only


def test_vultr_instances_boot_the_snapshot_and_have_no_iso_attached():
    run = stack_run("cross-region")
    snapshot = run.of_type("snapshotFromUrl:SnapshotFromUrl")[0]
    assert snapshot.inputs["useUefi"] is False  # amd64 Talos images boot BIOS too (GRUB / dual-boot)
    ready = run.of_type("vultr:SnapshotReady")[0]
    assert snapshot.urn in ready.dependencies and "api_key" in ready.secret_inputs
    for instance in run.of_type("instance:Instance"):  # created once Vultr has imported the snapshot
        assert "isoId" not in instance.inputs and ready.urn in instance.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_vms_have_the_sizes_and_addresses_of_the_definition(stack):
    run, definition = stack_run(stack), definition_of(stack)
    vms = {r.inputs["name"].removeprefix(f"{stack}-"): r.inputs for r in run.of_type("vmLegacy:VmLegacy")}
    for node in definition.nodes:
        if node.proxmox is None:
            continue
        vm = vms[node.hostname]
        assert (vm["nodeName"], vm["cpu"]["cores"], vm["memory"]["dedicated"], vm["disks"][0]["size"]) == (
            node.proxmox.node, node.proxmox.cores, node.proxmox.memory, node.proxmox.disk_size)
        assert vm["machine"] == "q35" and vm["bios"] == "ovmf" and vm["bootOrders"] == ["scsi0", "ide2"]
        assert vm["initialization"]["ipConfigs"][0]["ipv4"]["address"].startswith(node.ip_address + "/")


def test_vultr_firewall_opens_the_talos_api_to_admin_networks_only_and_kubespan_to_all():
    rules = {(r.inputs["protocol"], r.inputs["port"], f"{r.inputs['subnet']}/{int(r.inputs['subnetSize'])}")
             for r in stack_run("cross-region").of_type("firewallRule:FirewallRule")}
    assert rules == {("tcp", "50000", "203.0.113.7/32"), ("tcp", "6443", "0.0.0.0/0"), ("tcp", "6443", "::/0"),
                     ("udp", "51820", "0.0.0.0/0"), ("udp", "51820", "::/0")}
    instances = stack_run("cross-region").of_type("instance:Instance")
    assert {(i.inputs["plan"], i.inputs["region"], i.inputs["enableIpv6"]) for i in instances} == {
        ("vc2-2c-4gb", "cdg", True)}
    assert {i.inputs["label"] for i in instances} == {"Talos Kubernetes cross-region vultr-worker-01",
                                                      "Talos Kubernetes cross-region vultr-worker-02"}
    assert all(i.inputs["tags"] == ["kubernetes", "stack-cross-region", "talos"] for i in instances)


@pytest.mark.parametrize("stack", STACKS)
def test_cilium_gets_the_talos_values_after_talos_health(stack):
    run = stack_run(stack)
    release = run.of_type("helm.sh/v3:Release")[0]
    assert (release.inputs["chart"], release.inputs["version"], release.inputs["namespace"],
            release.inputs["repositoryOpts"]["repo"]) == ("cilium", "1.20.0", "kube-system", CILIUM_REPOSITORY)
    values = release.inputs["values"]
    assert values["ipam"] == {"mode": "kubernetes"} and values["kubeProxyReplacement"] is True
    assert (values["k8sServiceHost"], values["k8sServicePort"]) == ("localhost", 7445)
    assert values["cgroup"] == {"autoMount": {"enabled": False}, "hostRoot": "/sys/fs/cgroup"}
    assert "SYS_MODULE" not in values["securityContext"]["capabilities"]["ciliumAgent"]
    assert values["operator"]["replicas"] == 2
    health = run.of_type("talos:ClusterHealth")[0]
    assert health.urn in release.dependencies


@pytest.mark.parametrize("stack", STACKS)
def test_each_apply_waits_for_its_machine(stack):
    run = stack_run(stack)
    machines = {r.name.split("-", 1)[1]: r.urn for r in run.registrations
                if r.type in ("proxmoxve:index/vmLegacy:VmLegacy", "vultr:index/instance:Instance")}
    for apply in run.of_type("talos:MachineConfigApply"):
        hostname = apply.inputs["hostname"]
        if hostname in machines:
            assert machines[hostname] in apply.dependencies, hostname
        else:
            assert apply.inputs["address"] == "192.168.128.112"  # the article's existing OVH worker


@pytest.mark.parametrize("stack", STACKS)
def test_the_destroy_guard_outlives_every_machine_node_and_the_cni_and_is_protected_as_the_stack_says(stack):
    run = stack_run(stack)
    guard = run.of_type("talos:DestroyGuard")[0]
    others = [r for r in run.registrations if r is not guard]
    needed = {r.urn for r in others if r.type in ("proxmoxve:index/vmLegacy:VmLegacy", "vultr:index/instance:Instance",
                                                  "kubernetes:helm.sh/v3:Release", DYNAMIC + "MachineConfigApply",
                                                  DYNAMIC + "Secrets")}
    reachable, frontier = set(), list(guard.dependencies)  # what the engine keeps when the guard is kept
    by_urn = {r.urn: r for r in others}
    while frontier:
        urn = frontier.pop()
        if urn not in reachable and urn in by_urn:
            reachable.add(urn)
            frontier += [*by_urn[urn].dependencies, by_urn[urn].parent]
    assert needed <= reachable
    assert guard.protect is (stack != "dev")  # Pulumi.dev.yaml: protectSecrets false
    assert [node["hostname"] for node in guard.inputs["nodes"]] == [n.hostname for n in definition_of(stack).nodes]


@pytest.mark.parametrize("stack", STACKS)
def test_stack_outputs_are_present_and_client_configs_are_secret(stack):
    outputs = stack_run(stack).outputs
    assert set(outputs) == {"talosconfig", "kubeconfig", "nodes", "schematicIds", "images"}
    assert outputs["talosconfig"][1] and outputs["kubeconfig"][1]
    assert not outputs["nodes"][1] and not outputs["schematicIds"][1]
    assert "contexts:" in outputs["talosconfig"][0] and "clusters:" in outputs["kubeconfig"][0]
    definition = definition_of(stack)
    assert {name: node["role"] for name, node in outputs["nodes"][0].items()} == {
        node.hostname: node.role for node in definition.nodes}


def test_provider_credentials_stay_secret_inputs():
    run = stack_run("cross-region")
    assert "apiToken" in next(r for r in run.registrations if r.type == "pulumi:providers:proxmoxve").secret_inputs
    assert "apiKey" in next(r for r in run.registrations if r.type == "pulumi:providers:vultr").secret_inputs
    for stack in STACKS:
        text = (ROOT / f"Pulumi.{stack}.yaml").read_text()
        assert not any(secret in text for secret in TEST_SECRETS.values())


@pytest.mark.parametrize("stack", STACKS)
def test_with_cilium_on_control_planes_get_no_cni_and_no_kube_proxy(stack):
    import yaml

    for apply in stack_run(stack).of_type("talos:MachineConfigApply"):
        legacy = next(doc for doc in yaml.safe_load_all(apply.inputs["masked_config"]) if "machine" in doc)
        assert legacy["cluster"]["network"]["cni"] == {"name": "none"}, apply.name
        if apply.inputs["role"] == "controlplane":
            assert legacy["cluster"]["proxy"]["disabled"] is True, apply.name


def _dev_without_addresses(tmp_path, extensions: str) -> str:
    """A dev definition whose VMs get their addresses from DHCP."""
    path = tmp_path / "dev.yaml"
    path.write_text(f"""clusterName: dev
talosVersion: v1.13.9
kubernetesVersion: v1.36.3
endpoint: https://dev-cp-01.lan:6443
cniConfig: {{name: none}}
controlPlane:
  schematic: {{customization: {{systemExtensions: {{{extensions}}}}}}}
worker:
  schematic: {{customization: {{systemExtensions: {{{extensions}}}}}}}
nodes:
  - {{hostname: dev-cp-01, controlPlane: true, installDisk: /dev/sda, proxmox: {{node: pve1, vmId: 901}}}}
  - {{hostname: dev-worker-01, controlPlane: false, installDisk: /dev/sda, proxmox: {{node: pve1, vmId: 902}}}}
""")
    return str(path)


def test_a_proxmox_node_without_ip_address_is_reached_at_the_address_the_guest_agent_reports(tmp_path):
    definition = _dev_without_addresses(tmp_path, "officialExtensions: [siderolabs/qemu-guest-agent]")
    run = run_stack("dev", {"talos-cluster:definition": definition})
    applies = run.of_type("talos:MachineConfigApply")
    assert {apply.inputs["address"] for apply in applies} == {"10.9.8.7"}  # eth0 of the mocked agent, not lo
    assert all(vm.inputs["agent"]["enabled"] and "initialization" not in vm.inputs
               for vm in run.of_type("vmLegacy:VmLegacy"))


def test_a_proxmox_node_without_ip_address_needs_the_guest_agent_extension(tmp_path):
    from .engine import ProgramFailed

    definition = _dev_without_addresses(tmp_path, "officialExtensions: [siderolabs/iscsi-tools]")
    with pytest.raises(ProgramFailed, match="without ipAddress the address comes from the QEMU guest agent"):
        run_stack("dev", {"talos-cluster:definition": definition})


def test_health_checks_kubespan_peers_where_the_definition_enables_kubespan():
    assert stack_run("cross-region").of_type("talos:ClusterHealth")[0].inputs["kubespan"] is True
    assert stack_run("homelab").of_type("talos:ClusterHealth")[0].inputs["kubespan"] is False


def test_homelab_and_cross_region_on_one_proxmox_register_disjoint_vm_ids_names_and_files():
    assert stack_config("homelab")["proxmoxve:endpoint"] == stack_config("cross-region")["proxmoxve:endpoint"]
    claimed = {}
    for stack in ("homelab", "cross-region"):
        run = stack_run(stack)
        vms = run.of_type("vmLegacy:VmLegacy")
        claimed[stack] = ({vm.inputs["vmId"] for vm in vms}, {vm.inputs["name"] for vm in vms},
                          {f.inputs["fileName"] for f in run.of_type("download/file:File")})
        assert all(f"stack-{stack}" in vm.inputs["tags"] for vm in vms)
    for mine, theirs in zip(claimed["homelab"], claimed["cross-region"], strict=True):
        assert mine and theirs and not mine & theirs


def test_a_vm_id_another_stack_uses_on_the_same_proxmox_is_refused_before_anything_is_created(tmp_path):
    from .engine import ProgramFailed

    clashing = tmp_path / "cross-region.yaml"
    clashing.write_text((ROOT / "config" / "cross-region.yaml").read_text().replace("vmId: 822", "vmId: 812"))
    with pytest.raises(ProgramFailed) as failure:
        run_stack("cross-region", {"talos-cluster:definition": str(clashing)})
    assert str(failure.value) == (
        f"{clashing}: nodes[1] (controlplane-02).proxmox.vmId 812 is also used by stack homelab (config/homelab.yaml: "
        "nodes[4] (worker-02)) on the same Proxmox (https://pve1.lan:8006/); choose another vmId, or omit it and "
        "Proxmox picks the next free one")
    assert not [r for r in failure.value.registrations if r.custom]
    # another endpoint is another Proxmox: the same id is fine there
    run_stack("cross-region", {"talos-cluster:definition": str(clashing),
                               "proxmoxve:endpoint": "https://pve.elsewhere.example:8006/"})


def test_two_nodes_of_one_definition_with_one_vm_id_are_refused(tmp_path):
    from .engine import ProgramFailed

    clashing = tmp_path / "dev.yaml"
    clashing.write_text((ROOT / "config" / "dev.yaml").read_text().replace("vmId: 902", "vmId: 901"))
    with pytest.raises(ProgramFailed, match=r"nodes\[1\] \(dev-worker-01\)\.proxmox\.vmId 901 is also the vmId of "
                                            r"nodes\[0\] \(dev-cp-01\)"):
        run_stack("dev", {"talos-cluster:definition": str(clashing)})


README_COUNTS = {r"(\d+) VMs?": "proxmoxve:index/vmLegacy:VmLegacy",
                 r"(\d+) ISO downloads?": "proxmoxve:download/file:File",
                 r"(\d+) snapshots?": "vultr:index/snapshotFromUrl:SnapshotFromUrl",
                 r"(\d+) instances?": "vultr:index/instance:Instance",
                 r"(\d+) rules": "vultr:index/firewallRule:FirewallRule",
                 r"(\d+) config applies": DYNAMIC + "MachineConfigApply"}


@pytest.mark.parametrize("stack", STACKS)
def test_the_readme_says_what_each_stack_creates(stack):
    row = next(line for line in (ROOT / "README.md").read_text().splitlines() if line.startswith(f"| `{stack}` | ")
               and "config applies" in line)
    run = stack_run(stack)
    for pattern, kind in README_COUNTS.items():
        match = re.search(pattern, row)
        assert int(match.group(1) if match else 0) == len(run.of_type(kind)), (stack, pattern)
