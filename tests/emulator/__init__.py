"""An emulator of Talos nodes' API for tests: see cluster.EmulatedCluster and `python -m tests.emulator`."""

from .cluster import EmulatedCluster, loopback_addresses
from .node import BootMedia, CallRecord, EmulatedNode, Faults

__all__ = ["BootMedia", "CallRecord", "EmulatedCluster", "EmulatedNode", "Faults", "loopback_addresses"]
