"""`get` finds a resource type by every name COSI gives it, and refuses an unknown one by name."""

from __future__ import annotations

import pytest

from components.talos.cli.resources import resolve
from components.talos.errors import ConfigError


@pytest.mark.parametrize("name, expected", [
    ("ksps", "KubeSpanPeerStatuses.kubespan.talos.dev"),
    ("KubeSpanPeerStatus", "KubeSpanPeerStatuses.kubespan.talos.dev"),
    ("mc", "MachineConfigs.config.talos.dev"), ("mcs", "MachineConfigs.config.talos.dev"),
    ("members.cluster", "Members.cluster.talos.dev"), ("hostname", "HostnameStatuses.net.talos.dev"),
    ("disks", "Disks.block.talos.dev"), ("Disks.block.talos.dev", "Disks.block.talos.dev"),
])
def test_a_resource_type_is_found_by_its_cosi_aliases(name, expected):
    assert resolve(name).type == expected


def test_an_unknown_resource_type_is_refused_naming_the_known_ones():
    with pytest.raises(ConfigError, match="get m: resource type not found; this CLI knows disk, hostnamestatus"):
        resolve("m")  # one upper-case letter makes no alias in COSI
