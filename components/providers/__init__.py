"""Pulumi dynamic providers: thin adapters from Pulumi's create/diff/update/delete to components.talos.

Rules every provider here follows: plain data on the instance only (nothing unpicklable is captured, so
the SDK's dill serialization works and classes load by reference in the provider host); `check` and
`diff` never open a connection (previews run where no node is reachable); secret inputs are echoed only
under their own names, so the engine keeps them secret.
"""
