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
    from serving.server import EmbeddedServer

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
        max_tensor_mb=args.max_tensor_mb,
        request_timeout_s=args.request_timeout_s,
    )
    try:
        server.serve_forever()
    except (ValueError, OSError, TimeoutError) as error:
        print(f"serve: {error}", file=sys.stderr)
        return 2
    return 0


def parser():
    p = argparse.ArgumentParser(
        prog="python -m serving",
        description="Serve exported SavedModels with TF Serving's REST and gRPC APIs.",
    )
    p.add_argument(
        "--models", default="exports", help="base directory of exports (default: exports)"
    )
    p.add_argument("--host", default="127.0.0.1",
                   help="interface to listen on (default loopback; 0.0.0.0 for all)")  # fmt: skip
    p.add_argument("--rest-port", type=int, default=8501, help="REST port (0 picks a free one)")
    p.add_argument("--grpc-port", type=int, default=8500, help="gRPC port (0 picks a free one)")
    p.add_argument("--model-config-file",
                   help="a TF Serving models.config: version policies and labels")  # fmt: skip
    p.add_argument("--poll-seconds", type=float, default=1.0,
                   help="how often to look for new versions (default 1)")  # fmt: skip
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
    return p


if __name__ == "__main__":
    sys.exit(main())
