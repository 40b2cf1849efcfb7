import pytest

from bridge.io.jack_server import DummyJackServer, open_client
from bridge.io.jack_player import JackPlayer
from bridge.remote import DaemonProcess


def jack_scheduling() -> str:
    """Whether the tests' JACK servers get realtime scheduling: without it the MIDI and audio tests over JACK
    are at the mercy of the machine's load."""
    try:
        with DummyJackServer(48000, 128) as server:
            client = open_client("realtime-probe", server.name)
            realtime = client is not None and client.realtime
            if client is not None:
                client.close()
    except RuntimeError as exc:  # jackd is missing or does not start
        return f"not available ({exc})"
    return "realtime scheduling on" if realtime else "realtime scheduling OFF"


def pytest_terminal_summary(terminalreporter) -> None:
    terminalreporter.write_line(f"JACK dummy server: {jack_scheduling()}")


@pytest.fixture(autouse=True)
def no_jack_server_outlives_its_test():
    """Stop any private JACK server a failed test left running.

    The servers of one test run share a name, so a server left running would
    answer the next test's clients in its place and fail every later test.
    """
    yield
    DummyJackServer.stop_all()


@pytest.fixture
def jack_server():
    """A private JACK server on the dummy driver, 48 kHz, 128-frame periods."""
    with DummyJackServer(48000, 128) as server:
        yield server


@pytest.fixture
def daemon(jack_server, tmp_path):
    """``bridge serve`` on the private JACK server, with its own OSC ports."""
    process = DaemonProcess(tmp_path)
    yield process
    process.stop()


@pytest.fixture
def peer(jack_server, daemon):
    """A JACK client wired to the daemon's MIDI in/out and audio in."""
    client = JackPlayer()
    client.connect_to_daemon(daemon.client_name)
    yield client
    client.close()
