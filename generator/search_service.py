"""A client of ``pagefind --service``: pages go to Pagefind from memory, bundles come back in
memory, with no scratch copy of the site and no wait between messages.

The protocol is Pagefind's own (what its ``pagefind`` Python wrapper speaks): each message is a
JSON object, base64-encoded and followed by a comma, on the process's stdin; each answer comes
back the same way on its stdout, tagged with the message's id. The service handles messages one
at a time, in order. The wrapper's client reads one answer per 0.1 s poll, which costs a shard
~0.3 s in its three calls and makes one call per page (``add_html_file``) unaffordable; this
client reads answers as they come, so every page is sent as its own ``AddFile``, and the bundle
is fetched with ``GetFiles`` (the wrapper's ``write_files`` answers before its files are on disk).

One process indexes one page at a time, so the shards are spread over one process per CPU.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Self


class ServiceFailed(Exception):
    """Pagefind answered with an error, stopped, or ran out of time."""


class OutOfTime(ServiceFailed):
    """Pagefind had not answered when its time ran out (its process was killed)."""


def binary() -> str:
    """Pagefind's binary: ``$PAGEFIND_BINARY_PATH`` (as the wrapper honours it), else the one in
    the ``pagefind[bin]`` wheel (found without importing the wrapper, which imports asyncio)."""
    if os.environ.get("PAGEFIND_BINARY_PATH"):
        return os.environ["PAGEFIND_BINARY_PATH"]
    try:
        from pagefind_bin import get_executable
    except ImportError:
        raise ServiceFailed("the Pagefind binary is missing (pip install 'pagefind[bin]')") from None
    return str(get_executable())


class Service:
    """One ``pagefind --service`` process, killed when it outlives ``seconds`` or the block."""

    def __init__(self, seconds: float):
        executable = binary()
        self.errors = tempfile.TemporaryFile()  # noqa: SIM115 (closed by __exit__)
        try:
            self.process = subprocess.Popen([executable, "--service"], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, stderr=self.errors)
        except OSError as exc:
            self.errors.close()
            raise ServiceFailed(f"cannot start {executable}: {exc.strerror or exc}") from None
        self.expired = False
        self.timer = threading.Timer(seconds, self._expire)
        self.timer.start()
        self.sent = 0
        self.buffer = bytearray()
        self.writers: list[threading.Thread] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_) -> None:
        self.timer.cancel()
        self.process.kill()  # closing stdin would stop it too, but kill never waits on it
        self.process.wait()
        for writer in self.writers:  # a write to a killed process fails at once
            writer.join()
        for stream in (self.process.stdin, self.process.stdout, self.errors):
            try:
                stream.close()
            except BrokenPipeError:  # unwritten requests in the buffer: nobody reads them now
                pass

    def _expire(self) -> None:
        self.expired = True
        self.process.kill()

    def send(self, payloads: list[dict]) -> list[int]:
        """Queue ``payloads`` (written by a thread, so a long queue never blocks on answers
        the caller has not read yet); returns their message ids."""
        ids = list(range(self.sent + 1, self.sent + 1 + len(payloads)))
        self.sent += len(payloads)
        data = b"".join(base64.b64encode(json.dumps({"message_id": i, "payload": p}).encode())
                        + b"," for i, p in zip(ids, payloads))
        writer = threading.Thread(target=self._write, args=(data,), daemon=True)
        writer.start()
        self.writers.append(writer)
        return ids

    def _write(self, data: bytes) -> None:
        try:
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except (BrokenPipeError, ValueError):  # it stopped (the reader reports why)
            pass

    def answers(self, ids: list[int]) -> list[dict]:
        """The answers to the messages ``ids``, in order (the service answers in order)."""
        wanted = set(ids)
        found = {}
        for answer in self._answers():
            number = answer.get("message_id")
            payload = answer.get("payload", {})
            if payload.get("type") == "Error":
                raise ServiceFailed(payload.get("message") or "an unnamed error")
            if number in wanted:
                found[number] = payload
                if len(found) == len(wanted):
                    return [found[i] for i in ids]
        self._stopped()

    def _answers(self) -> Iterator[dict]:
        stdout, start = self.process.stdout, 0
        while True:
            end = self.buffer.find(b",", start)
            if end < 0:
                start = len(self.buffer)
                chunk = stdout.read1(1 << 20)
                if not chunk:
                    return
                self.buffer += chunk
                continue
            message = bytes(self.buffer[:end])
            del self.buffer[:end + 1]
            start = 0
            yield json.loads(base64.b64decode(message))

    def _stopped(self) -> None:
        if self.expired:
            raise OutOfTime("out of time")
        self.process.wait()
        self.errors.seek(0)
        said = self.errors.read().decode("utf-8", "replace").strip()[-500:]
        raise ServiceFailed(f"it stopped (exit status {self.process.returncode})"
                            + (f": {said}" if said else ""))


def index(service: Service, config: dict, pages: dict[str, bytes]) -> dict[str, bytes]:
    """The bundle of ``pages`` (output path → HTML) indexed with ``config``: bundle-relative
    name → bytes. Pages are added in the order given (Pagefind numbers them in that order)."""
    [created] = service.answers(service.send([{"type": "NewIndex", "config": config}]))
    number = created["index_id"]
    requests = [{"type": "AddFile", "index_id": number, "file_path": path, "url": None,
                 "file_contents": html.decode("utf-8")} for path, html in pages.items()]
    requests.append({"type": "GetFiles", "index_id": number})
    requests.append({"type": "DeleteIndex", "index_id": number})  # the process may index more
    *_, bundle, _ = service.answers(service.send(requests))
    return {file["path"]: base64.b64decode(file["content"]) for file in bundle["files"]}


def index_all(shards: dict[str, dict[str, bytes]], config: dict, processes: int,
              seconds: float) -> dict[str, dict[str, bytes]]:
    """The bundle of each shard (name → pages), the shards spread over ``processes`` Pagefind
    processes, all stopped after ``seconds``."""
    names = list(shards)
    groups = [names[i::processes] for i in range(min(processes, len(names)))]

    def run(group: list[str]) -> dict[str, dict[str, bytes]]:
        with Service(seconds) as service:
            return {name: index(service, config, shards[name]) for name in group}

    bundles: dict[str, dict[str, bytes]] = {}
    with ThreadPoolExecutor(max(1, len(groups))) as pool:
        for done in pool.map(run, groups):
            bundles.update(done)
    return {name: bundles[name] for name in names}
