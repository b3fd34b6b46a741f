"""One emulated Talos node: its state, its listener (the port really opens and closes), and its lifecycle
(maintenance → install → reboot → secure API; reboot, reset, upgrade), booting from the media it is given."""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import secrets
import ssl
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from grpclib.server import Server

from components.talos import pki
from components.talos.api.diagnose import spki_fingerprint
from components.talos.api.tls import server_context
from components.talos.definition.validate import is_ip
from components.talos.versions import contract_of

from .clock import NodeClock, forget, verify_by
from .received import ReceivedConfig

if TYPE_CHECKING:
    from .cluster import EmulatedCluster

CERT_LIFETIME = datetime.timedelta(hours=24)


@dataclass
class Faults:
    """Fault injection, set by tests while the node runs."""

    latency: float = 0.0  # added to every call this node serves
    refuse: bool = False  # port closed: as if the machine were off or 50000/tcp filtered
    drop_calls: int = 0  # the next N calls lose their connection mid-call
    stuck_rebooting: bool = False  # the next reboot never finishes
    unsynced_bootstraps: int = 0  # the next N bootstraps answer "time is not in sync yet"
    cri_delay: float = 0.0  # seconds after boot before bootstrap is available


@dataclass(frozen=True)
class BootMedia:
    """What the machine's firmware boots: an attached Talos ISO (its version) and where the disk sits in the
    boot order. A disk written from an Image Factory disk image holds an installed Talos before first boot."""

    iso: str | None = None  # Talos version of the attached ISO; None: no ISO attached
    disk_first: bool = True  # an installed disk boots before the ISO (Proxmox boot_orders [scsi0, ide2])
    disk_image: bool = False  # the disk was written from a disk image (Vultr snapshot): installed from the start

    @classmethod
    def iso_first(cls, version: str) -> BootMedia:
        """An attached ISO that boots before the disk, as on a Vultr instance with an ISO attached."""
        return cls(iso=version, disk_first=False)

    @classmethod
    def from_disk_image(cls) -> BootMedia:
        return cls(iso=None, disk_image=True)

    def halts_when_installed(self) -> bool:
        """siderolabs/talos pkg/imager/imager.go buildCmdline: from v1.8 (pkg/machinery/imager/quirks
        SupportsHaltIfInstalled) every ISO's cmdline gets talos.halt_if_installed=1; disk images never do."""
        return self.iso is not None and contract_of(self.iso).greater(1, 7)


@dataclass(frozen=True)
class CallRecord:
    address: str
    method: str  # short name, e.g. ApplyConfiguration
    path: str  # full gRPC path, e.g. /machine.LifecycleService/Upgrade
    started: float
    ended: float
    ok: bool


@dataclass
class EmulatedNode:
    cluster: EmulatedCluster
    address: str
    port: int
    version: str
    arch: str = "amd64"
    phase: str = "maintenance"  # maintenance | booting | running | halted | off
    boot: BootMedia = field(default_factory=BootMedia)
    installed: bool = False
    config: ReceivedConfig | None = None
    staged: ReceivedConfig | None = None
    etcd_member_id: int | None = None
    etcd_data: bool = False  # /var/lib/etcd is not empty (Bootstrap refuses then: "etcd data directory is not empty")
    etcd_failure: str = ""  # the etcd service failed to start (a refused recovery), with this event message
    recovery_snapshot: bytes | None = None  # what EtcdRecover uploaded to /var/lib/etcd.snapshot (on EPHEMERAL)
    booted_at: float = 0.0
    booted_clock: datetime.datetime | None = None  # the node's own clock at its last boot (service events' ts)
    apply_in_progress: bool = False
    rebooting_after_apply: bool = False
    # An upgrade installs the new version and reboots into it: until then the node runs (and reports) the old one
    # (siderolabs/talos v1alpha1_sequencer.go: the Upgrade sequence ends in a reboot).
    pending_version: str | None = None
    faults: Faults = field(default_factory=Faults)
    default_hostname: str = ""
    clock: NodeClock = field(default_factory=NodeClock)
    certificate: pki.CertificateAndKey | None = None  # the API certificate it serves now
    _server: Server | None = None
    _context: ssl.SSLContext | None = None
    _listen_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    def __post_init__(self) -> None:
        self.installed = self.installed or self.boot.disk_image
        self.default_hostname = f"talos-{secrets.token_hex(2)[:3]}-{secrets.token_hex(2)[:3]}"

    # ------------------------------------------------------------------ identity

    @property
    def hostname(self) -> str:
        return (self.config.hostname if self.config else None) or self.default_hostname

    @property
    def maintenance(self) -> bool:
        return self.phase == "maintenance"

    @property
    def unified_api(self) -> bool:
        """Talos v1.13 unified the maintenance and regular APIs; before, maintenance had its own server."""
        return contract_of(self.version).greater(1, 12)

    @property
    def listening(self) -> bool:
        return self._server is not None

    @property
    def cluster_key(self) -> str | None:
        return self.config.ca_fingerprint if self.config else None

    @property
    def maintenance_fingerprint(self) -> str:
        """What Talos logs (api.go: "generated new certificates", server=SPKIFingerprint) and shows on the
        console for `talosctl apply-config --insecure --cert-fingerprint`; a new key at every boot."""
        if not self.maintenance or self.certificate is None:
            raise ValueError(f"{self.address} is not serving its maintenance certificate")
        return spki_fingerprint(self.certificate.certificate)

    def now(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.clock.now(), datetime.UTC)

    @property
    def node_id(self) -> str:
        return hashlib.sha256(self.address.encode()).hexdigest()[:43]

    # ------------------------------------------------------------------ listener

    def _certificate(self) -> tuple[pki.CertificateAndKey, bytes | None] | None:
        """The API certificate for the current phase and the CA to verify clients against (None: no mTLS)."""
        ips = [self.address, "127.0.0.1"]
        if self.maintenance or self.config is None:
            # An ephemeral self-signed CA per boot, as Talos's "maintenance root"; no client certificate is asked for
            # (internal/app/machined/pkg/controllers/secrets/api.go: SkipVerifyingClientCert in maintenance).
            # Signed with the node's clock, NotBefore = now (siderolabs/crypto x509.NewDefaultOptions).
            root = pki.new_certificate_authority(None, "ed25519", self.now(), True)
            leaf = pki.issue_certificate(root, organizations=[], common_name="maintenance-service.talos.dev",
                                         lifetime=CERT_LIFETIME, now=self.now(), server=True, client=False,
                                         ip_addresses=ips)
            return leaf, None
        issuer = self.cluster.os_ca_for(self.config)
        if issuer is None:  # a worker waits for trustd on a control plane of its cluster
            return None
        sans = [san for san in self.config.cert_sans if is_ip(san)]
        dns = [san for san in self.config.cert_sans if not is_ip(san)] + [self.hostname]
        leaf = pki.issue_certificate(issuer, organizations=[], common_name=self.hostname, lifetime=CERT_LIFETIME,
                                     now=self.now(), server=True, client=False, dns_names=dns,
                                     ip_addresses=list(dict.fromkeys(sans + ips)))
        client_cas = b"".join((self.config.os_ca_crt, *self.config.accepted_cas))
        return leaf, client_cas

    async def listen(self) -> bool:
        async with self._listen_lock:  # a node's own reboot and a peer's arrival may both try to open the port
            return await self._listen()

    async def _listen(self) -> bool:
        if self._server is not None or self.faults.refuse or self.phase in ("booting", "halted", "off"):
            return self._server is not None
        identity = self._certificate()
        if identity is None:
            return False
        leaf, client_cas = identity
        from .apid import Apid

        server = Server([Apid(self)])
        context = server_context(leaf.crt_pem, leaf.key_pem, client_cas)
        verify_by(context, self.clock)
        await server.start(self.address, self.port, ssl=context)
        self._server, self._context, self.certificate = server, context, leaf
        return True

    async def stop_listening(self) -> None:
        server, self._server = self._server, None
        if self._context is not None:
            forget(self._context)
            self._context = None
        if server is not None:
            server.close()
            await server.wait_closed()
        if self.phase != "running" or self.faults.refuse:  # the machine is down: so are kubelet and its pods
            await self.cluster.kubernetes.node_down(self)

    # ------------------------------------------------------------------ lifecycle

    async def _restart(self, seconds: float) -> None:
        """Close the port, stay down `seconds`, come back in the phase the state now implies."""
        self.phase = "booting"
        self.cluster.journal_event(self.address, "reboot-start")
        await asyncio.sleep(0.05)  # let the reply that triggered this reach the client
        await self.stop_listening()
        await asyncio.sleep(seconds)
        if self.faults.stuck_rebooting:
            return
        if self.staged is not None:
            self.config, self.staged = self.staged, None
        if self.pending_version is not None:
            self.version, self.pending_version = self.pending_version, None
        self.rebooting_after_apply = False
        self.booted_at = asyncio.get_running_loop().time()
        self.booted_clock = self.now()
        if self._boots_iso() and self.installed:
            if self.boot.halts_when_installed():
                # siderolabs/talos internal/app/machined/pkg/runtime/v1alpha1/v1alpha1_sequencer.go Initialize:
                # haltIfInstalled runs before LoadConfig when installed and talos.halt_if_installed is set; it
                # logs "Please reboot from the disk" until BootTimeout, then machined reboots into the same ISO.
                # No config is loaded and no API server starts.
                self.phase = "halted"
                return
            # Before v1.8 (v1alpha1_sequencer.go Initialize, mountSystem/config; Install skipped when Installed()):
            # the ISO mounts STATE from disk and boots configured, but runs the ISO's kernel and Talos version.
            self.version = self.boot.iso or self.version
        self.phase = "running" if self.config is not None else "maintenance"
        await self.cluster.came_up(self)
        self.cluster.journal_event(self.address, "reboot-end")

    def _boots_iso(self) -> bool:
        """The firmware boots the ISO if one is attached and either the disk holds no Talos or the ISO comes first."""
        return self.boot.iso is not None and (not self.installed or not self.boot.disk_first)

    def install_and_reboot(self, config: ReceivedConfig) -> None:
        self.config = config
        delay = (0.0 if self.installed else self.cluster.install_seconds) + self.cluster.reboot_seconds
        self.installed = True
        asyncio.get_running_loop().create_task(self._restart(delay))

    def reboot(self) -> None:
        asyncio.get_running_loop().create_task(self._restart(self.cluster.reboot_seconds))

    def reset(self, reboot: bool, graceful: bool = True, labels: tuple[str, ...] | None = None) -> None:
        """The system partitions `labels` wiped; none named: the whole system disk (siderolabs/talos
        v1alpha1_sequencer.go Reset: ResetSystemDisk when no labels are given). STATE holds the config,
        EPHEMERAL /var (etcd's data, the uploaded recovery snapshot). Only a graceful reset leaves etcd first
        (Reset's "leave" phase); without it the member stays in the cluster."""
        wiped = {"STATE", "EPHEMERAL", "META"} if labels is None else set(labels)
        key = self.cluster_key
        if graceful:
            self.cluster.leave_etcd(self)
        if "EPHEMERAL" in wiped:
            self.cluster.etcd_wiped(self, key)
        if "STATE" in wiped:
            self.config = self.staged = None
        self.cluster.journal_event(self.address, "reset")
        # Installed() is the EPHEMERAL partition before v1.8 and the META volume from v1.8:
        # siderolabs/talos internal/app/machined/pkg/runtime/v1alpha1/v1alpha1_state.go
        marker = "META" if contract_of(self.version).greater(1, 7) else "EPHEMERAL"
        self.installed = self.installed and marker not in wiped
        if reboot:
            self.reboot()
        else:
            asyncio.get_running_loop().create_task(self._power_off())

    async def _power_off(self) -> None:
        await asyncio.sleep(0.05)
        self.phase = "off"
        await self.stop_listening()

    async def power_on(self) -> None:
        if self.phase == "off":
            self.phase = "booting"
            await self._restart(self.cluster.reboot_seconds)


def peer_organizations(cert: dict[str, object] | None) -> set[str]:
    """Roles from the client certificate's Organization (ssl.getpeercert() layout)."""
    if not cert:
        return set()
    subject = cert.get("subject") or ()
    return {value for rdn in subject for key, value in rdn if key == "organizationName"}  # type: ignore[attr-defined]
