"""tests/server.py's free_port(): the ports the tests start servers on.

A port picked by binding to port 0 can be handed out again, to another test's
bind or as a client socket's local port, before the server binds it (CI saw
Gunicorn fail with "Connection in use"). free_port() avoids both."""

import socket

from server import _ephemeral_low, _slice_start, _SLICE, free_port


def test_ports_are_below_the_ephemeral_range_in_this_workers_own_slice():
    ports = [free_port() for _ in range(50)]
    start = _slice_start()
    assert all(start <= port < start + _SLICE for port in ports)
    assert max(ports) < _ephemeral_low()


def test_a_port_is_never_handed_out_twice_and_a_bound_one_is_passed_over():
    first = free_port()
    with socket.socket() as held:
        held.bind(("127.0.0.1", first + 1 if first + 1 < _slice_start() + _SLICE else first - 1))
        taken = held.getsockname()[1]
        # Ports that other tests of this process still use or left in
        # TIME_WAIT are passed over too: the next hundred, well before the
        # turn comes round again.
        ports = [free_port() for _ in range(100)]
    assert first not in ports
    assert taken not in ports
    assert len(set(ports)) == len(ports)
