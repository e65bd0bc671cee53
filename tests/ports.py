"""Free loopback ports for servers and clusters a test starts."""

import socket


def free_ports(n):
    """n distinct ports free on 127.0.0.1 now (all held open while chosen,
    so they cannot repeat)."""
    sockets = [socket.socket() for _ in range(n)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()
