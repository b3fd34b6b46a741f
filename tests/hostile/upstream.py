"""What the real clients check when a peer answers, enumerated from their source, each row ported (the wording
is in the named module and a named test exercises it), someone else's check that this client relies on
(tested), or not applicable (with the reason). tests/test_hostile_upstream.py keeps this list and the code in
step.

Sources: grpc/grpc-go (the gRPC client inside talosctl: rpc_util.go recvMsg, checkRecvPayload,
recvAndDecompress; stream.go clientStreamWrapper.RecvMsg, csAttempt.recvMsg; internal/transport/
http2_client.go), siderolabs/talos v1.14 pkg/machinery/client (connection.go, options.go) and
cmd/talosctl/cmd/talos/logs.go, and Go's net/http client under client-go (transfer.go, internal/chunked.go,
transport.go, client.go)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Row:
    upstream: str  # where upstream does it
    behaviour: str
    status: str  # "ported", "relied on" (grpclib's, h2's or ssl's own check) or "not applicable"
    module: str = ""  # ported: the module holding `wording`; not applicable: empty
    wording: str = ""  # ported: the text the check raises (upstream's words where it has them)
    test: str = ""  # ported and relied on: a test function exercising it
    reason: str = ""  # not applicable, or why this client differs on purpose


CHANNEL = "components/talos/api/channel.py"
CLIENT = "components/talos/api/client.py"
HTTP = "components/talos/kube/http.py"
KUBE = "components/talos/kube/client.py"

ROWS = (
    # ------------------------------------------------------------------ gRPC client (grpc-go)
    Row("grpc-go rpc_util.go recvMsg", "a message longer than the receive limit is refused before it is read",
        "ported", CHANNEL, "grpc: received message larger than max (",
        "test_a_reply_larger_than_talos_own_limit_is_refused_before_it_is_read"),
    Row("grpc-go rpc_util.go recvMsg", "a length above the machine's int", "not applicable",
        reason="Python ints do not overflow, and the 32 MiB limit is checked first"),
    Row("grpc-go rpc_util.go checkRecvPayload", "compressed flag with identity or no grpc-encoding", "ported",
        CHANNEL, "grpc: compressed flag set with identity or empty encoding",
        "test_every_command_ends_cleanly_whatever_the_node_sends"),
    Row("grpc-go rpc_util.go checkRecvPayload", "compressed flag with an encoding no decompressor handles",
        "not applicable", reason="talosctl registers no compressor (pkg/machinery/client/connection.go leaves "
        "UseCompressor commented out), so this client refuses every compressed message with the row above"),
    Row("grpc-go rpc_util.go checkRecvPayload", "a payload format other than 0 or 1", "ported", CHANNEL,
        "grpc: received unexpected payload format", "test_every_command_ends_cleanly_whatever_the_node_sends"),
    Row("grpc-go rpc_util.go recvMsg", "the stream ends inside a message (io.ErrUnexpectedEOF)", "ported", CHANNEL,
        "unexpected EOF", "test_every_command_ends_cleanly_whatever_the_node_sends"),
    Row("grpc-go rpc_util.go recv", "bytes that do not unmarshal into the reply type", "ported", CHANNEL,
        "grpc: failed to unmarshal the received message", "test_every_command_ends_cleanly_whatever_the_node_sends"),
    Row("grpc-go rpc_util.go recvAndDecompress", "a decompressed message longer than the limit", "not applicable",
        reason="nothing is decompressed (rows above)"),
    Row("grpc-go http2_client.go operateHeaders", "the stream ends without trailers", "ported", CHANNEL,
        "server closed the stream without sending trailers",
        "test_every_command_ends_cleanly_whatever_the_node_sends"),
    Row("grpc-go stream.go clientStreamWrapper.RecvMsg", "a unary reply followed by another message", "ported",
        CLIENT, "cardinality violation: expected <EOF> for non server-streaming RPCs",
        "test_every_command_ends_cleanly_whatever_the_node_sends"),
    Row("grpc-go stream.go csAttempt.recvMsg", "a unary reply without a message", "ported", CLIENT,
        "cardinality violation: received no response message from non-server-streaming",
        "test_every_command_ends_cleanly_whatever_the_node_sends"),
    Row("grpc-go http2_client.go operateHeaders", "an HTTP status other than 200", "relied on",
        test="test_every_command_ends_cleanly_whatever_the_node_sends",
        reason="grpclib client.py Stream._raise_for_status (mode http-500)"),
    Row("grpc-go http2_client.go operateHeaders", "a content-type that is not application/grpc", "relied on",
        test="test_every_command_ends_cleanly_whatever_the_node_sends",
        reason="grpclib client.py Stream._raise_for_content_type (mode not-grpc)"),
    Row("grpc-go http2_client.go operateHeaders", "a grpc-status that is not a number", "relied on",
        test="test_every_command_ends_cleanly_whatever_the_node_sends",
        reason="grpclib client.py Stream._process_grpc_status (mode bad-grpc-status)"),
    Row("grpc-go http2_client.go", "header lists past the limit (16 MB by default)", "relied on",
        reason="h2's hpack decoder refuses a header list past 64 KiB (DEFAULT_MAX_HEADER_LIST_SIZE), CONTINUATION "
        "floods past 64 frames (frame_buffer.py)"),
    Row("grpc-go http2_client.go", "a :status header missing", "ported", CHANNEL, "malformed reply headers",
        "test_every_command_ends_cleanly_whatever_the_node_sends"),
    Row("grpc-go internal/transport", "a reply that breaks HTTP/2 (non-ASCII header value, bad frames)", "ported",
        CHANNEL, "Protocol error", "test_every_command_ends_cleanly_whatever_the_node_sends"),
    # ------------------------------------------------------------------ talosctl
    Row("talos pkg/machinery/client/connection.go getConn", "MaxCallRecvMsgSize(constants.GRPCMaxMessageSize)",
        "ported", CHANNEL, "MAX_MESSAGE_SIZE = 32 * 1024 * 1024",
        "test_a_reply_larger_than_talos_own_limit_is_refused_before_it_is_read"),
    Row("talos pkg/machinery/client/options.go WithMaintenanceMode", "VerifyConnection = MatchSPKIFingerprints, "
        "run by Go's TLS at every handshake, redials included", "ported", CLIENT,
        "doesn't match the provided fingerprints",
        "test_a_pinned_cli_apply_whose_connection_is_reset_after_the_handshake_sends_the_redial_nothing"),
    Row("Go crypto/tls (mutual TLS)", "CA and server address verified at every handshake", "relied on",
        test="test_a_mutual_tls_redial_to_a_server_of_another_ca_is_refused_at_the_handshake",
        reason="Python's ssl context (CERT_REQUIRED, check_hostname) verifies each connection asyncio makes"),
    Row("talos cmd/talosctl/cmd/talos/logs.go", "an unfinished line is kept until its newline, however long",
        "ported", "components/talos/cli/debug.py", "LINE_LIMIT = 64 * 1024",
        "test_a_line_without_end_is_printed_in_pieces_not_gathered",
        reason="bounded here: past 64 KiB the line is printed in pieces (talosctl's buffer grows without end)"),
    Row("talos cmd/talosctl/cmd/talos/kubeconfig.go", "the Kubeconfig stream gathered and untarred whole",
        "ported", "components/talos/api/archive.py", "the archive inflates past",
        "test_a_kubeconfig_reply_that_is_no_kubeconfig_is_refused_naming_the_node",
        reason="bounded here: 4 MiB inflated, one file (talosctl inflates whatever arrives)"),
    # ------------------------------------------------------------------ HTTP/1.1 client (Go net/http, client-go)
    Row("Go net/http transfer.go parseContentLength", "a Content-Length that is not digits", "ported", HTTP,
        "is not a length", "test_sizes_the_server_declares_are_refused_before_a_byte_of_them_is_read"),
    Row("Go net/http transfer.go fixLength", "several Content-Length values that differ", "ported", HTTP,
        "is not a length", "test_a_broken_reply_is_refused_naming_the_api_server"),
    Row("Go net/http transfer.go", "a body length the client will not hold", "ported", HTTP,
        "larger than this client's limit", "test_sizes_the_server_declares_are_refused_before_a_byte_of_them_is_read",
        reason="Go reads any length a server declares; here 64 MiB at most, checked before reading"),
    Row("Go net/http internal/chunked.go", "a chunk size that is not hex, or a line too long", "ported", HTTP,
        "is not hexadecimal", "test_a_broken_reply_is_refused_naming_the_api_server"),
    Row("Go net/http internal/chunked.go", "a chunk not followed by CRLF", "ported", HTTP,
        "a chunk does not end with CRLF", "test_a_broken_reply_is_refused_naming_the_api_server"),
    Row("Go net/http transfer.go", "a Transfer-Encoding other than chunked", "ported", HTTP, "is not chunked",
        "test_a_broken_reply_is_refused_naming_the_api_server"),
    Row("Go net/http transfer.go", "204 and 304 carry no body", "ported", HTTP, "if status in (204, 304)",
        "test_a_broken_reply_is_refused_naming_the_api_server"),
    Row("Go net/http transport.go readResponse", "1xx replies skipped, their headers counted against "
        "MaxResponseHeaderBytes", "ported", HTTP, "parse 1xx replies not asked for",
        "test_interim_replies_are_skipped_as_rfc_9110_asks"),
    Row("Go net/http transport.go", "MaxResponseHeaderBytes (10 MB default)", "ported", HTTP,
        "reply headers longer than", "test_a_broken_reply_is_refused_naming_the_api_server",
        reason="256 KiB here: kube-apiserver's headers are a few hundred bytes"),
    Row("Go net/http client.go CheckRedirect", "up to 10 redirects followed", "ported", KUBE,
        "client follows no redirects", "test_redirects_are_not_followed_and_say_where_they_pointed",
        reason="refused here: the client talks to the control plane it dialled and verified, and the API server "
               "redirects none of the calls this program makes"),
    Row("k8s.io/apimachinery json decoding", "a body that is not a JSON object of the expected kind", "ported", KUBE,
        "; expected a JSON ", "test_truncated_json_with_200_is_an_error_so_drain_never_sees_nothing_to_evict"),
    Row("Go encoding/json", "nesting past 10000 levels (exceeded max depth)", "ported", KUBE, "RecursionError",
        "test_a_broken_reply_is_refused_naming_the_api_server",
        reason="Python's json stops at the interpreter's recursion limit; read as not JSON"),
)
