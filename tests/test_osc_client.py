"""The outside OSC client that the benchmarks and tests drive a daemon with: a status request lost on the way
is asked again, and one never answered says what the kernel dropped and whether a reply came late.

The peer here is a plain UDP socket on 127.0.0.1 standing in for the daemon: a real daemon cannot be made to
lose one datagram on purpose, and the client's protocol is what is under test."""

import logging
import socket
import threading

import pytest

from bridge.io.osc import encode_message, udp_kernel_drops
from bridge.remote import OscClient


class LossyStatusPeer:
    """A UDP socket that answers /bridge/status only from its ``answer_from``-th request on (1-based), as if
    the requests before were lost; never, when ``answer_from`` is None."""

    def __init__(self, answer_from: int | None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self._answer_from = answer_from
        self._running = True
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while self._running:
            try:
                _, sender = self.sock.recvfrom(65535)
            except OSError:
                continue
            self.requests += 1
            if self._answer_from is not None and self.requests >= self._answer_from:
                reply_port = sender[1]  # the client listens where it sends from
                self.sock.sendto(encode_message("/bridge/status", ("requests", self.requests)), ("127.0.0.1", reply_port))

    def close(self) -> None:
        self._running = False
        self._thread.join()
        self.sock.close()


def test_a_lost_status_request_is_asked_again_and_the_retry_is_logged(caplog):
    peer = LossyStatusPeer(answer_from=2)
    client = OscClient(peer.port)
    try:
        with caplog.at_level(logging.WARNING, logger="bridge.remote"):
            status = client.status(attempts=3, timeout_s=0.3)
        assert status == {"requests": 2}
        assert "request 2 of 3" in caplog.text
    finally:
        client.close()
        peer.close()


def test_an_unanswered_status_says_what_was_dropped_and_what_the_daemon_tells():
    peer = LossyStatusPeer(answer_from=None)
    client = OscClient(peer.port)
    try:
        client.explain_silence = lambda: "the daemon is still running"
        with pytest.raises(AssertionError) as failure:
            client.status(attempts=2, timeout_s=0.2)
        message = str(failure.value)
        assert "no /bridge/status reply to 2 requests" in message and "none came later" in message
        assert "the kernel dropped 0 datagrams to the daemon's port" in message
        assert message.endswith("the daemon is still running")
        assert peer.requests == 2
    finally:
        client.close()
        peer.close()


def test_udp_kernel_drops_counts_the_datagrams_a_full_receive_buffer_lost():
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as receiver, \
            socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sender:
        receiver.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        receiver.bind(("127.0.0.1", 0))
        port = receiver.getsockname()[1]
        assert udp_kernel_drops(port) == 0
        sent = 200
        for _ in range(sent):
            sender.sendto(b"x" * 1000, ("127.0.0.1", port))
        receiver.setblocking(False)
        received = 0
        while True:
            try:
                receiver.recv(2048)
            except BlockingIOError:
                break
            received += 1
        assert received < sent
        assert udp_kernel_drops(port) == sent - received
