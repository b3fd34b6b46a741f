"""Cluster definitions: talhelper's ``talconfig.yaml`` plus where each machine comes from."""

from .load import load_definition, parse_definition
from .model import ClusterDefinition, NodeDefinition, ProxmoxMachine, VultrMachine
from .problems import DefinitionError
from .render import installer_image, node_image, render_node, render_node_text

__all__ = ["ClusterDefinition", "DefinitionError", "NodeDefinition", "ProxmoxMachine", "VultrMachine",
           "installer_image", "load_definition", "node_image", "parse_definition", "render_node",
           "render_node_text"]
