"""python -m serving --models exports/ (= zoo serve ...): the embedded
TF-Serving-compatible server, REST and gRPC, on loopback by default."""

import argparse
import logging
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main(argv=None):
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    from serving.server import EmbeddedServer, share_cores

    share_cores(args.intra_op_threads)

    server = EmbeddedServer(
        args.models,
        host=args.host,
        rest_port=args.rest_port,
        grpc_port=args.grpc_port,
        config_file=args.model_config_file,
        poll_seconds=args.poll_seconds,
        max_body_mb=args.max_body_mb,
        max_batch=args.max_batch,
        workers=args.workers,
        calls_per_connection=args.calls_per_connection,
        max_tensor_mb=args.max_tensor_mb,
        request_timeout_s=args.request_timeout_s,
        max_work_gmacs=args.max_work_gmacs,
        heavy_gmacs=args.heavy_gmacs,
        heavy_slots=args.heavy_slots,
        max_connections=args.max_connections,
        connections_per_address=args.connections_per_address,
        idle_timeout_s=args.idle_timeout_s,
        body_timeout_s=args.body_timeout_s,
        max_rpcs=args.max_rpcs,
        streams_per_connection=args.streams_per_connection,
        shutdown_s=args.shutdown_s,
    )
    try:
        abandoned = server.serve_forever()
    except (ValueError, OSError, TimeoutError) as error:
        print(f"serve: {error}", file=sys.stderr)
        return 2
    if abandoned:  # their threads (and gRPC's waiting on them) must not hold the exit up
        logging.shutdown()
        os._exit(0)
    return 0


def parser():
    p = argparse.ArgumentParser(
        prog="python -m serving",
        description="Serve exported SavedModels with TF Serving's REST and gRPC APIs.",
    )
    p.add_argument(
        "--models", default="exports", help="base directory of exports (default: exports)"
    )
    p.add_argument(
        "--host",
        default="127.0.0.1",
        help="interface to listen on (default loopback; 0.0.0.0 for all)",
    )
    p.add_argument("--rest-port", type=int, default=8501, help="REST port (0 picks a free one)")
    p.add_argument("--grpc-port", type=int, default=8500, help="gRPC port (0 picks a free one)")
    p.add_argument(
        "--model-config-file", help="a TF Serving models.config: version policies and labels"
    )
    p.add_argument(
        "--poll-seconds",
        type=float,
        default=1.0,
        help="how often to look for new versions (default 1)",
    )
    p.add_argument("--max-body-mb", type=float, default=64, help="largest request body / message")
    p.add_argument("--max-batch", type=int, default=1024, help="largest batch one request may send")
    p.add_argument(
        "--max-tensor-mb",
        type=float,
        help="bytes one request's inputs may take once decoded, checked against "
        "declared shapes before anything is allocated (default: --max-body-mb)",
    )
    p.add_argument(
        "--request-timeout-s",
        type=float,
        default=60.0,
        help="deadline per request: DEADLINE_EXCEEDED / 504 after it (default 60)",
    )
    p.add_argument("--workers", type=int, default=8, help="threads running models")
    p.add_argument(
        "--intra-op-threads",
        type=int,
        help="threads one TensorFlow op may use (default: all cores but one, so a "
        "costly call leaves a core to the others)",
    )
    limits = p.add_argument_group("what one request may cost, and fair admission")
    limits.add_argument(
        "--max-work-gmacs",
        type=float,
        default=700,
        help="the most one request may cost, in billions of multiply-adds as "
        "zoo.json estimates them (default 700: a 2048x2048 style image, or "
        "1024 x 950 steps of a char LM); over it: INVALID_ARGUMENT / 400",
    )
    limits.add_argument(
        "--calls-per-connection",
        type=int,
        help="model calls one connection may run at once; the rest wait in its own "
        "queue (default: half the cores, at least 1)",
    )
    limits.add_argument(
        "--heavy-gmacs",
        type=float,
        default=20,
        help="requests costing more run in the narrow lane (default 20)",
    )
    limits.add_argument(
        "--heavy-slots", type=int, default=1, help="how many of those run at once (default 1)"
    )
    conns = p.add_argument_group("connections")
    conns.add_argument(
        "--max-connections",
        type=int,
        default=1024,
        help="open connections per API (default 1024); over it: 503 and close",
    )
    conns.add_argument(
        "--connections-per-address",
        type=int,
        default=256,
        help="open REST connections per client address (default 256)",
    )
    conns.add_argument(
        "--idle-timeout-s",
        type=float,
        default=15,
        help="a REST connection with no whole request header for this long is "
        "closed (slow headers, idle keep-alive; default 15)",
    )
    conns.add_argument(
        "--body-timeout-s",
        type=float,
        default=30,
        help="the longest a request body may take to arrive (default 30)",
    )
    conns.add_argument(
        "--max-rpcs",
        type=int,
        default=256,
        help="gRPC calls in the server at once (default 256); over it: RESOURCE_EXHAUSTED",
    )
    conns.add_argument(
        "--streams-per-connection",
        type=int,
        default=32,
        help="gRPC calls one connection may have open (HTTP/2 max concurrent streams; "
        "default 32): the rest wait at the client's end",
    )
    conns.add_argument(
        "--shutdown-s",
        type=float,
        default=30,
        help="on SIGTERM, the longest to wait for requests in flight (default 30)",
    )
    return p


if __name__ == "__main__":
    sys.exit(main())
