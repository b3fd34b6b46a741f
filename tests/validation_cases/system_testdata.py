"""Talos v1.14.0-rc.1 testdata (pkg/machinery/config/types/*/testdata/*.yaml) and Go test fixtures of the block,
storage, k8s, container, cri and runtime documents that Talos's Validate accepts, as Talos's go-yaml reads them."""

from __future__ import annotations

from components.talos import yamlio

from . import accepted

_TESTDATA = {
    "block/existingvolumeconfig_selector.yaml": """
kind: ExistingVolumeConfig
name: my-lovely-volume
discovery: {volumeSelector: {match: volume.partition_label == "MY-DATA"}}""",
    "block/externalvolumeconfig_basicvirtiofs.yaml": """
kind: ExternalVolumeConfig
name: my-virtiofs-volume
filesystemType: virtiofs
mount: {virtiofs: {tag: Data}}""",
    "block/filesystemscrubconfig_full.yaml": "kind: FilesystemScrubConfig\ninterval: 168h0m0s",
    "block/filesystemtrimconfig_full.yaml": "kind: FilesystemTrimConfig\ninterval: 168h0m0s",
    "block/rawvolumeconfig_diskselector.yaml": """
kind: RawVolumeConfig
name: ceph-data
provisioning: {diskSelector: {match: disk.transport == "nvme" && !system_disk}, minSize: 10GiB, maxSize: 100GiB}""",
    "block/rawvolumeconfig_encrypted.yaml": """
kind: RawVolumeConfig
name: secret-store
provisioning: {diskSelector: {match: '!system_disk'}, minSize: 10GiB}
encryption:
  provider: luks2
  keys: [{slot: 0, tpm: {}}, {slot: 1, static: {passphrase: topsecret}}]
  cipher: aes-xts-plain64
  allowDiscards: true""",
    "block/swapvolumeconfig_diskselector.yaml": """
kind: SwapVolumeConfig
name: big
provisioning: {diskSelector: {match: disk.transport == "nvme" && !system_disk}, minSize: 10GiB, maxSize: 100GiB}""",
    "block/uservolumeconfig_prjquota.yaml": """
kind: UserVolumeConfig
name: secret-store
provisioning: {diskSelector: {match: '!system_disk'}, minSize: 10GiB}
filesystem: {type: xfs, projectQuotaSupport: true}""",
    "block/uservolumeconfig_xfs.yaml": """
kind: UserVolumeConfig
name: build-cache
provisioning: {diskSelector: {match: '!system_disk'}, minSize: 10GiB}
filesystem: {xfs: {minAllocationGroupSize: 128GiB}}""",
    "block/volumeconfig_diskselector.yaml": """
kind: VolumeConfig
name: EPHEMERAL
provisioning: {diskSelector: {match: disk.transport == "nvme" && !system_disk}}""",
    "block/volumeconfig_empty.yaml": "kind: VolumeConfig\nname: EPHEMERAL",
    "block/volumeconfig_maxsize.yaml": """
kind: VolumeConfig
name: EPHEMERAL
provisioning: {minSize: 10GiB, maxSize: 2.5TiB}""",
    "block/volumeconfig_negativemaxsize.yaml": """
kind: VolumeConfig
name: EPHEMERAL
provisioning: {minSize: 10GiB, maxSize: -10GiB}""",
    "block/volumeconfig_state.yaml": """
kind: VolumeConfig
name: STATE
encryption: {provider: luks2, keys: [{slot: 0, tpm: {}}, {slot: 1, static: {passphrase: topsecret}}]}""",
    "block/volumeconfig_tpm_encryption_with_pcr_settings.yaml": """
kind: VolumeConfig
name: STATE
encryption: {provider: luks2, keys: [{tpm: {options: {pcrs: [0, 7]}}}]}""",
    "block/volumeconfig_xfs.yaml": """
kind: VolumeConfig
name: EPHEMERAL
filesystem: {xfs: {minAllocationGroupSize: 128GiB}}""",
    "block/zswapconfig_full.yaml": "kind: ZswapConfig\nmaxPoolPercent: 50\nshrinkerEnabled: true",
    "storage/lvmlogicalvolumeconfig_basic.yaml": """
kind: LVMLogicalVolumeConfig
name: lv-data
type: linear
provisioning: {volumeGroup: vg-pool, maxSize: 50GiB}""",
    "storage/lvmvolumegroupconfig_basic.yaml": """
kind: LVMVolumeGroupConfig
name: vg-pool
provisioning: {volumeSelector: {match: disk.transport == "nvme"}}""",
    "storage/raidarrayconfig_metadata12.yaml": """
kind: RAIDArrayConfig
name: data
level: raid1
metadata: "1.2"
provisioning: {volumeSelector: {match: disk.transport == "virtio"}}""",
    "cri/cribaseruntimespecconfig.yaml": """
kind: CRIBaseRuntimeSpecConfig
overrides: {process: {rlimits: [{hard: 1024, soft: 1024, type: RLIMIT_NOFILE}]}}""",
    "cri/cricustomizationconfig.yaml": "kind: CRICustomizationConfig\nname: enable-metrics\ncontent: '[metrics]'",
    "cri/imagecacheconfig.yaml": "kind: ImageCacheConfig\nlocal: {enabled: true}",
    "cri/registryauthconfig.yaml": "kind: RegistryAuthConfig\nname: my-private-registry.io\nusername: agent007\n"
                                   "password: topsecret",
    "cri/registrymirrorconfig.yaml": """
kind: RegistryMirrorConfig
name: ghcr.io
endpoints: [{url: "https://my-private-registry.local:5000"}, {url: "http://my-harbor/v2/registry-k8s.io/",
            overridePath: true}]
skipFallback: true""",
    "k8s/admissioncontrolconfig.yaml": """
kind: KubeAdmissionControlConfig
name: PodSecurity
configuration: {apiVersion: pod-security.admission.config.k8s.io/v1alpha1, kind: PodSecurityConfiguration}""",
    "k8s/apiserverconfig.yaml": """
kind: KubeAPIServerConfig
image: registry.k8s.io/kube-apiserver:v1.36.0
extraArgs: {feature-gates: ServerSideApply=true}
resources: {requests: {cpu: 2, memory: 2Gi}}
apiPort: 8443""",
    "k8s/authorizerconfig.yaml": """
kind: KubeAuthorizerConfig
name: webhook
type: Webhook
webhook: {failurePolicy: NoOpinion, subjectAccessReviewVersion: v1, timeout: 3s}""",
    "k8s/controllermanagerconfig.yaml": """
kind: KubeControllerManagerConfig
image: registry.k8s.io/kube-controller-manager:v1.36.0
resources: {requests: {cpu: 2, memory: 2Gi}}""",
    "k8s/corednsconfig.yaml": "kind: KubeCoreDNSConfig\nenabled: true\nimage: registry.k8s.io/coredns/coredns:v1.14.2",
    "k8s/etcdencryptionconfig.yaml": "kind: KubeEtcdEncryptionConfig\nconfig: {resources: [{resources: [secrets]}]}",
    "k8s/externalmanifestconfig.yaml": "kind: KubeExternalManifestConfig\nname: example-cni\n"
                                       "url: https://www.example.com/manifest1.yaml",
    "k8s/flannelconfig.yaml": "kind: KubeFlannelCNIConfig\nbackendType: vxlan\nbackendPort: 4789",
    "k8s/inlinemanifestconfig.yaml": "kind: KubeInlineManifestConfig\nname: namespace-ci\nmanifest: 'kind: Namespace'",
    "k8s/kubeclusterconfig.yaml": "kind: KubeClusterConfig\nclusterName: example-cluster\n"
                                  "endpoint: https://example.com:6443/",
    "k8s/kubeletconfig.yaml": """
kind: KubeletConfig
image: ghcr.io/siderolabs/kubelet:v1.36.0
config: {serverTLSBootstrap: true}
clusterDNS: [10.96.0.10]""",
    "k8s/kubenodeconfig.yaml": """
kind: KubeNodeConfig
registerWithFQDN: true
nodeIP: {validSubnets: [10.0.0.0/8, '!10.0.0.3/32', fdc7::/16]}
labels: {examplelabel: examplevalue}
annotations: {customer.io/rack: r13a25}
taints: {exampletaint: examplevalue:NoSchedule}""",
    "k8s/kubeprismconfig.yaml": "kind: KubePrismConfig\nport: 7445\ntlsServerName: api.cluster.local",
    "k8s/kubetalosapiaccessconfig.yaml": "kind: KubeTalosAPIAccessConfig\nallowedRoles: [os:reader]",
    "k8s/networkconfig.yaml": "kind: KubeNetworkConfig\npodSubnets: [10.244.0.0/16]\nserviceSubnets: [10.96.0.0/12]",
    "k8s/proxyconfig.yaml": "kind: KubeProxyConfig\nimage: registry.k8s.io/kube-proxy:v1.35.3\nmode: nftables\n"
                            "resources: {limits: {cpu: 2, memory: 2500Mi}}",
    "k8s/schedulerconfig.yaml": "kind: KubeSchedulerConfig\nimage: registry.k8s.io/kube-scheduler:v1.35.3",
    "k8s/staticpodconfig.yaml": "kind: KubeStaticPodConfig\nname: nginx\npod: {apiVersion: v1, kind: Pod}",
    "runtime/environment.yaml": "kind: EnvironmentConfig\nvariables: {HTTP_PROXY: 'http://proxy.example.com:8080'}",
    "runtime/etc_file.yaml": "kind: EtcFileConfig\nname: nfsmount.conf\nmode: 0o644\ncontents: x",
    "runtime/eventsink.yaml": "kind: EventSinkConfig\nendpoint: 10.0.0.1:3333",
    "runtime/kernel_module.yaml": "kind: KernelModuleConfig\nname: btrfs\nparameters: [param1]",
    "runtime/oom.yaml": """
kind: OOMConfig
triggerExpression: time_since_trigger > duration("5s")
cgroupRankingExpression: 'memory_max.hasValue() ? 0.0 : double(memory_current.orValue(0u))'
sampleInterval: 100ms""",
    "runtime/sysctl.yaml": "kind: SysctlConfig\nparams: {net.ipv4.ip_forward: '1'}",
    "runtime/unattendedinstall.yaml": "kind: UnattendedInstallConfig\nprovisioning: {diskSelector: {match: "
                                      "disk.transport == \"nvme\"}, wipe: true}",
    "runtime/watchdogtimer.yaml": "kind: WatchdogTimerConfig\ndevice: /dev/watchdog0\ntimeout: 3m0s",
    "runtime/extensions/extension_service_config.yaml": """
kind: ExtensionServiceConfig
name: foo
configFiles: [{content: hello, mountPath: /etc/foo}]
environment: [FOO=BAR]""",
    "container/container_config_test.go TestContainerConfigFull": """
kind: ContainerConfig
name: director
image: ghcr.io/example/director@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
mounts: [{userVolume: {name: director-data, destination: /data}}, {tmpfs: {destination: /tmp, size: 64MiB}},
         {hostPath: {source: /dev, destination: /dev, options: [rbind, rw]}}]
security: {profile: privileged, capabilities: {drop: [ALL], add: [NET_ADMIN]}}
network: {mode: host}
resources: {limits: {cpu: 1500m, memory: 512MiB}}
dependsOn: {networks: [addresses], paths: [/var/run], containers: [other]}
runAs: {uid: 1000, gid: 1000}""",
}

ACCEPTED = [accepted(source, {"apiVersion": "v1alpha1", **yamlio.load(text)}) for source, text in _TESTDATA.items()]
