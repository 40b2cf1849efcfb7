"""The JACK server: is one running, watch it die and come back, start a private one.

python-rtmidi does not notice a JACK server's death (its sends succeed
silently), so the daemon keeps one small JACK client whose shutdown callback
tells it, and polls for the server's return with that same client.
"""

from __future__ import annotations

import glob
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from typing import Callable

from bridge.processes import die_with_parent, terminate

log = logging.getLogger("bridge.jack")

try:
    # libjack's messages keep its own handler, which prints to stderr: routed into Python, they
    # would run on libjack's threads, and after a server dies those can hold the GIL long enough
    # to starve the daemon (seen: ping unanswered for seconds).
    import jack
except OSError:  # libjack is not installed: JACK is simply unavailable
    jack = None


JACK_SERVER_DIR = "/dev/shm"  # jackd2's sockets, shared memory and metadata database on Linux

# JACK clients whose server died. Closing one crashes libjack (seen with jackd2
# 1.9.21), so they are kept here, unclosed, for the life of the process.
_dead_clients: list = []


def abandon_client(client) -> None:
    """Forget a client whose server died, without calling into libjack."""
    if client is not None:
        _dead_clients.append(client)


def jack_available() -> bool:
    """True when the JACK client library can be loaded."""
    return jack is not None


def open_client(name: str, server_name: str | None = None):
    """Open a JACK client without starting a server; None when no server runs."""
    if jack is None or not jack_server_running(server_name):
        return None
    try:
        return jack.Client(name, no_start_server=True, servername=server_name)
    except jack.JackError:
        return None


def _request_socket_path(server_name: str | None) -> str:
    """Where jackd2 listens for new clients of the server ``server_name``."""
    name = server_name or os.environ.get("JACK_DEFAULT_SERVER") or "default"
    owner = "" if os.environ.get("JACK_PROMISCUOUS_SERVER") else f"_{os.getuid()}"
    return os.path.join(JACK_SERVER_DIR, f"jack_{name}{owner}_0")


def jack_server_running(server_name: str | None = None) -> bool:
    """True when a JACK server (``server_name``, else ``$JACK_DEFAULT_SERVER`` or the default) accepts clients.

    It knocks on the server's request socket instead of opening a client: every libjack
    client opened while no server runs creates JACK's metadata database in /dev/shm, and
    two doing so at once can leave it damaged, after which jackd and every JACK client
    die of SIGBUS (seen: ``__db.002`` left empty).
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        try:
            probe.connect(_request_socket_path(server_name))
        except OSError:
            return False
    return True


class JackWatch:
    """Watch the JACK server and report its death and return.

    Parameters
    ----------
    on_down, on_up : callable
        Called from the watch thread when the server goes away and when it
        accepts clients again (before the watch's own client is back).
    on_xrun : callable
        Called (from a JACK thread; it must not block) at every xrun: a cycle
        in which some client was late, and MIDI events may have been lost.
    poll_s : float
        How often to retry while the server is down.
    """

    def __init__(self, on_down: Callable[[str], None], on_up: Callable[[], None], on_xrun: Callable[[], None],
                 poll_s: float = 0.5) -> None:
        self._on_down = on_down
        self._on_up = on_up
        self._on_xrun = on_xrun
        self._poll_s = poll_s
        self._lost = threading.Event()
        self._stop = threading.Event()
        self._reason = ""
        self._client = None
        self._thread = threading.Thread(target=self._run, name="jack-watch", daemon=True)

    def start(self) -> bool:
        """Start watching; False if no server runs now (the watch waits for one)."""
        up = self._connect()
        if not up:
            self._lost.set()
            damage = metadata_damage()
            self._reason = "no JACK server running" + (f"; {damage}" if damage else "")
        self._thread.start()
        return up

    def _connect(self) -> bool:
        client = open_client("mir-bridge-watch")
        if client is None:
            return False
        client.set_shutdown_callback(self._shutdown)
        client.set_xrun_callback(lambda delay_us: self._on_xrun())
        client.activate()
        self._client = client
        if not client.realtime:
            log.warning("the JACK server runs without realtime scheduling: on a loaded machine its clients miss "
                        "cycles, and the MIDI and audio due in them are lost (xruns)")
        return True

    def _shutdown(self, status, reason: str) -> None:
        # Runs on a libjack thread: only flag it, the watch thread does the work.
        self._reason = reason
        self._lost.set()

    def _run(self) -> None:
        reported = False
        while not self._stop.is_set():
            if not self._lost.wait(0.5):
                continue
            if self._stop.is_set():
                return
            if not reported:
                abandon_client(self._client)
                self._client = None
                self._on_down(self._reason or "JACK server went away")
                reported = True
            if jack_server_running():
                # Ports first, the watching client after: python-rtmidi keeps the GIL while it waits for the
                # server to register a port, and the server waits for every client's notifications; one
                # arriving at this client's Python callbacks meanwhile would deadlock the daemon.
                self._on_up()
                reported = False
                if self._connect():
                    self._lost.clear()
                    continue
                # else it went away again: the next round reports it
            self._stop.wait(self._poll_s)

    def stop(self) -> None:
        self._stop.set()
        self._lost.set()
        self._thread.join(timeout=2)
        client, self._client = self._client, None
        if client is not None:
            client.close()


def jack_server_process_running() -> bool:
    """True when any jackd or jackdbus process runs on this machine."""
    return any(subprocess.run(["pgrep", "-x", server], capture_output=True).returncode == 0
               for server in ("jackd", "jackdbus"))


def clear_stale_registry() -> bool:
    """Remove jackd2's shared-memory leftovers when no JACK server process runs at all.

    jackd2 registers at most 8 servers in /dev/shm, and a server that stops while
    clients are still attached leaves its entries behind; after a few such stops
    no new server can start ("Too many servers already active"). With no jackd or
    jackdbus running, every entry is stale. Returns True when something was removed.
    """
    if jack_server_process_running():
        return False
    stale = glob.glob(os.path.join(JACK_SERVER_DIR, "jack*"))
    for path in stale:
        if os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
        else:
            os.remove(path)
    return bool(stale)


def _metadata_dir() -> str:
    """JACK's metadata database (Berkeley DB) of this user."""
    return os.path.join(JACK_SERVER_DIR, f"jack_db-{os.getuid()}")


def damaged_metadata() -> list[str]:
    """Files of JACK's metadata database left empty by an interrupted creation.

    While one is there, jackd fails to start and every JACK client dies of SIGBUS.
    """
    damaged = []
    for path in glob.glob(os.path.join(_metadata_dir(), "__db.*")):
        try:
            if os.path.getsize(path) == 0:
                damaged.append(path)
        except OSError:  # removed meanwhile: a server exiting cleans the database up
            pass
    return damaged


def metadata_damage() -> str:
    """What to tell the user when JACK's metadata database is damaged; empty when it is not."""
    damaged = damaged_metadata()
    if not damaged:
        return ""
    return (f"JACK's metadata database is damaged ({damaged[0]} is empty): jackd cannot start and JACK "
            f"clients crash until its folder is removed, with every JACK program stopped")


def clear_leftover_metadata() -> None:
    """Remove JACK's metadata database when no JACK server process runs.

    A server creates it as it starts and removes it as it exits. One found with no
    server running was left by a server killed by a signal (jackd dies of SIGPIPE
    when it notifies a client that has gone) or by clients opened with no server;
    the next server and its clients would join it, damaged or not.
    """
    database = _metadata_dir()
    if not os.path.isdir(database) or jack_server_process_running():
        return
    damaged = damaged_metadata()
    shutil.rmtree(database, ignore_errors=True)
    if damaged:
        log.warning("removed JACK's damaged metadata database (%s was empty)", damaged[0])


class DummyJackServer:
    """A private JACK server on the dummy driver, for the demo, benchmarks and tests.

    Sets ``JACK_DEFAULT_SERVER`` in this process so every client opened
    afterwards (rtmidi, PortAudio, JACK-Client) talks to it.

    Parameters
    ----------
    sample_rate_hz, period_frames : int
        The dummy driver's rate and period.
    name : str, optional
        Server name; by default one name per process, reused by every private server
        it starts: jackd2 reclaims a dead server's registry entry under the same name,
        while each new name takes one of its 8 entries.
    """

    _running: set["DummyJackServer"] = set()

    def __init__(self, sample_rate_hz: int = 48000, period_frames: int = 128, name: str | None = None) -> None:
        self.name = name or f"mirbridge-{os.getpid()}"
        self.sample_rate_hz = sample_rate_hz
        self.period_frames = period_frames
        self._process: subprocess.Popen | None = None
        self._stderr = None
        self._previous_env: str | None = None

    def start(self, timeout_s: float = 10.0) -> "DummyJackServer":
        if shutil.which("jackd") is None:
            raise RuntimeError("jackd is not installed (Debian: apt-get install jackd2)")
        try:
            return self._launch(timeout_s)
        except RuntimeError as exc:
            if "Too many servers" not in str(exc) or not clear_stale_registry():
                raise
            log.info("cleared stale JACK registry entries; starting jackd again")
            return self._launch(timeout_s)

    def _launch(self, timeout_s: float) -> "DummyJackServer":
        if jack_server_running(self.name):
            # Its clients would talk to the old server, and jackd refuses a second one of the name.
            raise RuntimeError(f"a JACK server named '{self.name}' is already running")
        clear_leftover_metadata()
        env = dict(os.environ, JACK_NO_AUDIO_RESERVATION="1")
        # A file, not a pipe nobody reads: jackd writes to stderr all its life.
        self._stderr = tempfile.TemporaryFile("w+")
        self._process = subprocess.Popen(
            ["jackd", "--name", self.name, "-d", "dummy",
             "-r", str(self.sample_rate_hz), "-p", str(self.period_frames)],
            stdout=subprocess.DEVNULL, stderr=self._stderr, text=True, env=env, preexec_fn=die_with_parent,
        )
        self._previous_env = os.environ.get("JACK_DEFAULT_SERVER")
        os.environ["JACK_DEFAULT_SERVER"] = self.name
        deadline = time.monotonic() + timeout_s
        while not jack_server_running():
            if self._process.poll() is not None or time.monotonic() > deadline:
                terminate(self._process)
                said = self.messages().strip().splitlines()[:3]
                self.stop()
                raise RuntimeError(f"jackd '{self.name}' did not start: {' / '.join(said)}")
            time.sleep(0.05)
        DummyJackServer._running.add(self)
        return self

    def messages(self) -> str:
        """What jackd has written to stderr (its errors and xruns), while it runs."""
        self._stderr.seek(0)
        return self._stderr.read()

    def stop(self) -> None:
        DummyJackServer._running.discard(self)
        if self._process is not None:
            terminate(self._process)
            self._stderr.close()
        if self._previous_env is None:
            os.environ.pop("JACK_DEFAULT_SERVER", None)
        else:
            os.environ["JACK_DEFAULT_SERVER"] = self._previous_env

    @classmethod
    def stop_all(cls) -> int:
        """Stop every private server this process started and has not stopped; return how many."""
        left = list(cls._running)
        for server in left:
            server.stop()
        return len(left)

    @property
    def period_ms(self) -> float:
        return 1000.0 * self.period_frames / self.sample_rate_hz

    def __enter__(self) -> "DummyJackServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
