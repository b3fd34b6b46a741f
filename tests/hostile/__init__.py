"""The hostile-peer kit: servers that lie, stall, flood and try to extract secrets, on loopback only.

- `talos_api.FakeTalosAPI`: a Talos API endpoint (HTTP/2 over TLS, written on h2 directly so that it can break
  the gRPC wire format) answering every call as its `Reply` says: garbage, oversized, endless, stalled,
  compressed, truncated, with terminal escapes; it counts every byte and request it receives.
- `relay.Relay`: a TCP relay that lets the first connection reach one server and every later one another,
  cutting the first right after its TLS handshake (how an attacker on the path catches a redial).
- `kube_api.FakeKubeAPI`: a Kubernetes API server (HTTP/1.1 over TLS) with broken framing and bodies.
- `memory.peak_rss`: a command's peak resident memory, measured by the kernel (wait4).

Each server runs on its own event loop in a background thread (`background.BackgroundLoop`), so code under
test may run its own `asyncio.run` or be a subprocess.
"""
