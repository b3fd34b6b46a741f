"""Kubernetes API: a small async client (client.py), staged health, node removal and `upgrade-k8s`.

Nothing here imports Pulumi, and nothing here is imported by the program until a Kubernetes stage runs."""
