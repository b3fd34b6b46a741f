"""Talos machinery in pure Python: secrets, configs, patches, client configs, Image Factory, API client."""
