"""Running cases against an implementation (a port of LossConformance's ``ConformanceRunner``).

The per-case logic is :class:`Session`: it sends a case's request and reads answer lines until it
has the case's answer or a fault, exactly as ``RunSession.runCase`` does:

- no answer in time: the adapter's process group is killed, the case is a ``timeout``, and the
  adapter is restarted for the next case;
- the adapter exits: the case is ``crashed`` (with the tail of its standard error), and the
  adapter is restarted;
- a line that is not JSON, a response without a valid ``id``, ``value``, ``error`` or
  ``unsupported``: ``garbage`` or ``malformed``;
- an answer with the id of an earlier case is a stale line (say, a second answer to a case that
  already failed): it is skipped and noted, and the runner keeps waiting; any other id is
  ``wrongID``;
- a line longer than the limit (1 MiB, or 64 bytes per expected value if more): ``oversized``.

After ``max_restarts`` restarts, or if a restart fails, the remaining cases are ``notRun``.

What the session talks to is a *channel*: :class:`AdapterProcess` (a command line, every read
and write with a deadline), :class:`InProcess` (a Python callable answering request objects), or
:class:`Replay` (answer events recorded earlier by :class:`Recorder`, so that the same answers
can be graded again, by this grader or by ``losscheck conform`` through ``replay_adapter.py``).
"""

import json
import os
import select
import signal
import subprocess
import time

from .grading import GradingOptions, grade
from .jsontext import JSONSyntaxError, parse, type_name
from .numbers import ProtocolError, encode_number, round_to_dtype
from .protocol import decode_hello, decode_response
from .results import CaseResult, FaultKind, Status, abbreviate, describe_expectation, describe_response
from .tiers import format_g

__all__ = ["AdapterStartError", "AdapterProcess", "InProcess", "Replay", "Recorder", "Session", "run",
           "callable_channel", "table_channel"]


class AdapterStartError(Exception):
    """The adapter could not be started, or its hello line is missing or invalid."""


# MARK: Channels


class AdapterProcess:
    """An adapter command run with ``/bin/sh -c`` in its own process group; every read and write
    waits at most until a deadline (``select``), standard error is drained into a tail."""

    STDERR_TAIL = 8192

    def __init__(self, command, max_line_bytes=1 << 20, cwd=None, env=None):
        self.command = command
        self.max_line_bytes = max_line_bytes
        try:
            self.process = subprocess.Popen(
                ["/bin/sh", "-c", command], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, start_new_session=True, close_fds=True, cwd=cwd, env=env)
        except OSError as error:
            raise AdapterStartError(f"cannot start the adapter: {error}") from None
        self.stdin = self.process.stdin.fileno()
        self.stdout = self.process.stdout.fileno()
        self.stderr = self.process.stderr.fileno()
        for fd in (self.stdin, self.stdout, self.stderr):
            os.set_blocking(fd, False)
        self.partial = bytearray()
        self.events = []
        self.discarding = False
        self.stderr_tail = bytearray()
        self.stdout_open = True
        self.stderr_open = True
        self.stdin_open = True

    def _drain(self, fd):
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if fd == self.stderr:
            if not data:
                self.stderr_open = False
            self.stderr_tail += data
            del self.stderr_tail[:-self.STDERR_TAIL]
            return
        if not data:
            self.stdout_open = False
            return
        start = 0
        while True:
            newline = data.find(b"\n", start)
            if newline < 0:
                if not self.discarding:
                    self.partial += data[start:]
                    if len(self.partial) > self.max_line_bytes:
                        self.events.append(("oversized", len(self.partial)))
                        self.partial = bytearray()
                        self.discarding = True
                return
            if self.discarding:
                self.discarding = False
            else:
                self.partial += data[start:newline]
                if len(self.partial) > self.max_line_bytes:
                    self.events.append(("oversized", len(self.partial)))
                else:
                    if self.partial.endswith(b"\r"):
                        del self.partial[-1]
                    self.events.append(("line", self.partial.decode("utf-8", errors="replace")))
            self.partial = bytearray()
            start = newline + 1

    def _wait(self, deadline, for_writing=False):
        readers = [fd for fd, is_open in ((self.stdout, self.stdout_open), (self.stderr, self.stderr_open)) if is_open]
        writers = [self.stdin] if for_writing and self.stdin_open else []
        timeout = max(0.0, deadline - time.monotonic())
        if not readers and not writers:
            time.sleep(min(timeout, 0.05))
            return [], []
        try:
            readable, writable, _ = select.select(readers, writers, [], timeout)
        except InterruptedError:
            return [], []
        for fd in readable:
            self._drain(fd)
        return readable, writable

    def send(self, text, deadline):
        """Writes ``text``: ``"written"``, ``"closed"`` (the adapter closed its input) or ``"timeout"``."""
        data = memoryview(text.encode("utf-8"))
        while data:
            if not self.stdin_open:
                return "closed"
            _, writable = self._wait(deadline, for_writing=True)
            if writable:
                try:
                    n = os.write(self.stdin, data)
                    data = data[n:]
                except BlockingIOError:
                    pass
                except (BrokenPipeError, OSError):
                    self.stdin_open = False
                    return "closed"
            elif time.monotonic() >= deadline:
                return "timeout"
        return "written"

    def read_line(self, deadline, limit=None):
        """The next event: ``("line", text)``, ``("oversized", bytes)``, ``("end",)`` or ``("timeout",)``."""
        if limit is not None:
            self.max_line_bytes = limit
        while True:
            if self.events:
                return self.events.pop(0)
            if not self.stdout_open:
                return ("end",)
            if time.monotonic() >= deadline:
                return ("timeout",)
            self._wait(deadline)

    @property
    def stderr_suffix(self):
        """"; its standard error ends with: …" when the adapter wrote to standard error, else empty."""
        if self.stderr_open:
            self._wait(time.monotonic())
        tail = self.stderr_tail.decode("utf-8", errors="replace").rstrip()
        return "" if not tail else "; its standard error ends with: " + abbreviate(tail[-600:], 600)

    def terminate(self, grace=0.0):
        """Closes the adapter's input, waits ``grace`` seconds for it to exit, then kills its process
        group; returns how it ended ("exit status 0", "signal 9")."""
        if self.stdin_open:
            try:
                os.close(self.stdin)
            except OSError:
                pass
            self.process.stdin = None
            self.stdin_open = False
        deadline = time.monotonic() + grace
        while self.process.poll() is None and time.monotonic() < deadline:
            self._wait(min(deadline, time.monotonic() + 0.05))
        if self.process.poll() is None:
            for target in (lambda: os.killpg(self.process.pid, signal.SIGKILL),
                           lambda: os.kill(self.process.pid, signal.SIGKILL)):
                try:
                    target()
                except OSError:
                    pass
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        else:
            try:  # the group may have children left
                os.killpg(self.process.pid, signal.SIGKILL)
            except OSError:
                pass
        for stream in (self.process.stdout, self.process.stderr):
            try:
                stream.close()
            except OSError:
                pass
        code = self.process.returncode
        if code is None:
            return "no exit status"
        return f"exit status {code}" if code >= 0 else f"signal {-code}"

    @classmethod
    def start(cls, command, startup_timeout, **kwargs):
        """Starts ``command`` and reads its hello line within ``startup_timeout`` seconds (blank lines
        skipped); returns ``(process, hello, hello_line)``; raises :class:`AdapterStartError`."""
        process = cls(command, **kwargs)
        deadline = time.monotonic() + startup_timeout
        while True:
            event = process.read_line(deadline)
            if event[0] == "timeout":
                suffix = process.stderr_suffix
                process.terminate(0)
                raise AdapterStartError(
                    f"the adapter wrote no hello line within {format_g(startup_timeout, 3)} s{suffix}")
            if event[0] == "end":
                end = process.terminate(2)
                raise AdapterStartError(f"the adapter ended ({end}) before writing its hello line{process.stderr_suffix}")
            if event[0] == "oversized":
                process.terminate(0)
                raise AdapterStartError(f"the adapter's first line is {event[1]} bytes long, not a hello line")
            text = event[1]
            if not text.strip():
                continue
            try:
                return process, decode_hello(parse(text)), text
            except (JSONSyntaxError, ProtocolError) as error:
                process.terminate(0)
                raise AdapterStartError(
                    f"the adapter's first line is not a valid losscheck/1 hello ({error}): {abbreviate(text, 200)}"
                ) from None


class _Queue:
    """A channel that answers in process: ``answer(request_object) -> response line``."""

    stderr_suffix = ""

    def __init__(self, answer):
        self.answer = answer
        self.lines = []

    def send(self, text, deadline):
        self.lines.append(self.answer(text))
        return "written"

    def read_line(self, deadline, limit=None):
        if not self.lines:
            return ("timeout",)
        line = self.lines.pop(0)
        if limit is not None and len(line.encode("utf-8")) > limit:
            return ("oversized", len(line.encode("utf-8")))
        return ("line", line)

    def terminate(self, grace=0.0):
        return "exit status 0"


class InProcess:
    """Channel factory for a Python callable ``respond(request_object) -> response object`` (a dict
    with ``id`` and one of ``value``, ``error``, ``unsupported``, as an adapter writes it). The
    response goes through JSON, so it is read exactly as an adapter's line would be."""

    def __init__(self, respond, name="in-process implementation", losses=None, dtypes=("float32", "float64")):
        from .protocol import LOSSES  # noqa: PLC0415

        self.respond = respond
        self.hello_object = {"protocol": "losscheck/1", "implementation": name,
                             "losses": list(losses or LOSSES), "dtypes": list(dtypes)}

    def _answer(self, text):
        obj = json.loads(text)
        try:
            response = self.respond(obj)
        except Exception as error:  # noqa: BLE001 - a bug in the implementation: reported, like serve()
            kind = getattr(error, "kind", None)
            if type(error).__name__ == "Unsupported":
                response = {"id": obj.get("id", ""), "unsupported": str(error)}
            elif isinstance(kind, str):
                response = {"id": obj.get("id", ""), "error": {"kind": kind, "message": str(error)}}
            else:
                response = {"id": obj.get("id", ""),
                            "error": {"kind": "Other", "message": f"{type(error).__name__}: {error}"}}
        if isinstance(response, str):
            return response
        return json.dumps(_protocol_numbers(response), allow_nan=False, default=_json_default)

    def start(self):
        from .protocol import Hello  # noqa: PLC0415

        h = self.hello_object
        return _Queue(self._answer), Hello(h["implementation"], h["losses"], h["dtypes"]), json.dumps(h)


def _protocol_numbers(x):
    """A response object with non-finite floats spelled as the protocol spells them."""
    import math  # noqa: PLC0415

    if isinstance(x, float) and not math.isfinite(x):
        return "NaN" if math.isnan(x) else ("Infinity" if x > 0 else "-Infinity")
    if isinstance(x, dict):
        return {k: _protocol_numbers(v) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        return [_protocol_numbers(v) for v in x]
    if hasattr(x, "tolist") and not isinstance(x, (str, bytes)):
        return _protocol_numbers(x.tolist())
    return x


def _json_default(x):
    """numpy scalars and arrays in a response object."""
    if hasattr(x, "tolist"):
        return x.tolist()
    raise TypeError(f"{type(x).__name__} is not JSON serializable")


def encode_value(value, dtype):
    """A computed value (a number, or an array already flat and column-major with its shape) as the
    protocol spells it: each number rounded once to the dtype (as an adapter's ``encode`` does)."""
    import math  # noqa: PLC0415

    def one(x):
        x = float(x)
        if math.isnan(x) or math.isinf(x):
            return x
        return round_to_dtype(x, dtype)

    return encode_number(one(value), dtype)


def table_channel(table, request_class=None, name="in-process implementation", dtypes=("float32", "float64")):
    """An :class:`InProcess` channel for a table ``{loss: f(req)}`` of functions of a request, the
    signature of the Python adapters' functions (``Conformance/adapters/numpy_adapter.py``):
    ``req`` is a :class:`losscheck.request.Request` (or ``request_class(obj)``), and ``f`` returns a
    number or, for ``agg = "none"``, an array; it raises an exception with a ``kind`` attribute
    for Flux's errors and one named ``Unsupported`` for what it cannot do."""
    if request_class is None:
        from .request import Request as request_class  # noqa: PLC0415,N813

    def respond(obj):
        req = request_class(obj)
        loss = obj["loss"]
        if loss not in table:
            return {"id": obj.get("id", ""), "unsupported": f"the loss {loss} is not implemented"}
        value = _call_quietly(table[loss], req)
        return _answer_line(obj.get("id", ""), value, obj.get("dtype", "float64"))

    channel = InProcess(respond, name=name, losses=sorted(table), dtypes=dtypes)
    return channel


def _call_quietly(f, req):
    try:
        import numpy as np  # noqa: PLC0415
    except ImportError:
        return f(req)
    with np.errstate(all="ignore"):
        return f(req)


def _answer_line(req_id, value, dtype):
    """The response line of a computed value (numpy, jax and torch CPU values alike)."""
    try:
        import numpy as np  # noqa: PLC0415

        array = np.asarray(value)
        if array.ndim > 0:
            flat = array.reshape(-1, order="F")
            values = ",".join(encode_value(v, dtype) for v in flat.tolist())
            shape = ",".join(str(d) for d in array.shape)
            return f'{{"id":{json.dumps(req_id)},"value":[{values}],"shape":[{shape}]}}'
        value = array.item()
    except ImportError:
        if isinstance(value, (list, tuple)):
            values = ",".join(encode_value(v, dtype) for v in value)
            return f'{{"id":{json.dumps(req_id)},"value":[{values}]}}'
    return f'{{"id":{json.dumps(req_id)},"value":{encode_value(value, dtype)}}}'


def callable_channel(respond, **kwargs):
    """An :class:`InProcess` channel for ``respond(request_object) -> response object``."""
    return InProcess(respond, **kwargs)


class CommandChannel:
    """Channel factory for an adapter command line."""

    def __init__(self, command, startup_timeout=120.0, cwd=None, env=None):
        self.command = command
        self.startup_timeout = startup_timeout
        self.cwd = cwd
        self.env = env

    def start(self):
        return AdapterProcess.start(self.command, self.startup_timeout, cwd=self.cwd, env=self.env)


# MARK: Recording and replaying answers


class Recorder:
    """Wraps a channel factory and records, per case id, every event the session saw (lines read,
    oversized lines, end of output, timeouts, restarts), so :class:`Replay` can feed the same
    answers to a grader again. ``save(path)`` writes JSON Lines: a hello record, then one record
    per case: ``{"id": …, "events": [["line", text], …]}``."""

    def __init__(self, factory):
        self.factory = factory
        self.hello_line = None
        self.records = {}
        self.order = []
        self.current = None

    def start(self):
        channel, hello, line = self.factory.start()
        if self.hello_line is None:
            self.hello_line = line
        if self.current is not None:
            self.current.append(["restart", "ok"])
        return _RecordingChannel(channel, self), hello, line

    def begin(self, case_id):
        self.current = self.records.setdefault(case_id, [])
        self.order.append(case_id)

    def save(self, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(json.dumps({"hello": self.hello_line}) + "\n")
            for case_id in dict.fromkeys(self.order):
                f.write(json.dumps({"id": case_id, "events": self.records[case_id]}, ensure_ascii=False) + "\n")


class _RecordingChannel:
    def __init__(self, channel, recorder):
        self.channel = channel
        self.recorder = recorder

    @property
    def stderr_suffix(self):
        return self.channel.stderr_suffix

    def send(self, text, deadline):
        result = self.channel.send(text, deadline)
        if result != "written":
            self.recorder.current.append(["send", result])
        return result

    def read_line(self, deadline, limit=None):
        event = self.channel.read_line(deadline, limit)
        if event[0] == "line":
            self.recorder.current.append(["line", event[1]])
        elif event[0] == "oversized":
            self.recorder.current.append(["oversized", event[1]])
        else:
            self.recorder.current.append([event[0]])
        return event

    def terminate(self, grace=0.0):
        return self.channel.terminate(grace)


class Replay:
    """Channel factory that replays a recording (``Recorder.save``): the same events, per case id,
    in the same order; restarts succeed as they did."""

    def __init__(self, path):
        self.hello_line = None
        self.records = {}
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as error:
                    raise ValueError(f"{path}:{number}: not JSON: {error}") from None
                if "hello" in record:
                    self.hello_line = record["hello"]
                else:
                    self.records[record["id"]] = record["events"]
        if self.hello_line is None:
            raise ValueError(f"{path}: no hello record")
        self.pending = []

    def start(self):
        return _ReplayChannel(self), decode_hello(parse(self.hello_line)), self.hello_line


class _ReplayChannel:
    stderr_suffix = ""

    def __init__(self, replay):
        self.replay = replay

    def send(self, text, deadline):
        case_id = parse(text)["id"]
        events = list(self.replay.records.get(case_id, [["line", json.dumps(
            {"id": case_id, "error": {"kind": "Other", "message": "not recorded"}})]]))
        self.replay.pending = events
        while self.replay.pending and self.replay.pending[0][0] == "send":
            return self.replay.pending.pop(0)[1]
        return "written"

    def read_line(self, deadline, limit=None):
        pending = self.replay.pending
        while pending and pending[0][0] == "restart":
            pending.pop(0)
        if not pending:
            return ("timeout",)
        event = pending.pop(0)
        if event[0] == "line":
            line = event[1]
            if limit is not None and len(line.encode("utf-8")) > limit:
                return ("oversized", len(line.encode("utf-8")))
            return ("line", line)
        if event[0] == "oversized":
            return ("oversized", event[1])
        return (event[0],)

    def terminate(self, grace=0.0):
        return "exit status 0"


# MARK: The session


class Session:
    """The state of one run: the channel, the hello, restarts, notes, the ids sent.

    ``factory.start()`` returns ``(channel, hello, hello_line)``. :meth:`run_case` grades one case;
    :meth:`close` ends the adapter. Times are seconds: ``case_timeout`` per case (plus one
    millisecond per hundred elements of ŷ), ``max_restarts`` restarts after crashes or hangs.
    """

    def __init__(self, factory, case_timeout=10.0, max_restarts=10, grading=None):
        self.factory = factory
        self.case_timeout = case_timeout
        self.max_restarts = max_restarts
        self.grading = grading or GradingOptions()
        self.channel = None
        self.hello = None
        self.restarts = 0
        self.notes = []
        self.sent_ids = set()
        self.stale_lines = 0
        self.given_up = None
        self.first_hello = None
        self.started = time.monotonic()

    def start(self):
        """Starts the implementation and reads its hello (raises :class:`AdapterStartError`)."""
        self.channel, self.hello, _ = self.factory.start()
        if self.first_hello is None:
            self.first_hello = self.hello
        return self.hello

    def restart(self, reason):
        """Kills the adapter after a failure and restarts it for the next case."""
        if self.channel is not None:
            self.channel.terminate(0)
        self.channel = None
        self.restarts += 1
        if self.restarts > self.max_restarts:
            self.given_up = f"the adapter failed {self.restarts} times (last: {reason}); the remaining cases were not run"
            return
        try:
            self.start()
        except AdapterStartError as error:
            self.given_up = f"the adapter could not be restarted after {reason}: {error}"

    def close(self):
        if self.channel is not None:
            end = self.channel.terminate(5)
            if end != "exit status 0":
                self.notes.append(f"at the end of its input the adapter ended with {end}")
            self.channel = None
        if self.stale_lines:
            self.notes.append(f"{self.stale_lines} stale answer line(s) (ids of earlier cases) were skipped")
        if self.restarts:
            self.notes.append(f"the adapter was restarted {self.restarts} time(s)")

    def run_case(self, golden):
        """Runs and grades one case; returns its :class:`~losscheck.results.CaseResult`."""
        if hasattr(self.factory, "begin"):
            self.factory.begin(golden.id)
        result = CaseResult(golden)
        hello = self.hello or self.first_hello
        aliases = {"hinge": ["hinge_loss"], "squared_hinge": ["squared_hinge_loss"]}.get(golden.loss, [])
        if golden.loss not in hello.losses and not any(a in hello.losses for a in aliases):
            result.detail = f"the adapter's hello does not list the loss {golden.loss}"
            return result
        if golden.dtype not in hello.dtypes:
            result.detail = f"the adapter's hello does not list the dtype {golden.dtype}"
            return result
        if self.given_up is not None:
            result.status, result.fault, result.detail = Status.FAULT, FaultKind.NOT_RUN, self.given_up
            return result
        result.terms = golden.terms
        result.expected = describe_expectation(golden)
        channel = self.channel
        if channel is None:
            result.status, result.fault = Status.FAULT, FaultKind.NOT_RUN
            result.detail = self.given_up or "the adapter is not running"
            return result
        value_count = max(len(golden.expectation.exact), 1)
        limit = max(1 << 20, 64 * value_count + 65536)
        timeout = self.case_timeout + golden.request.yhat.count / 100 / 1000
        started = time.monotonic()
        deadline = started + timeout

        def fail(kind, message):
            result.status, result.fault, result.detail = Status.FAULT, kind, message
            result.seconds = time.monotonic() - started
            return result

        self.sent_ids.add(golden.id)
        timeout_text = f"{format_g(timeout, 3)} s"
        sent = channel.send(golden.request_line + "\n", deadline)
        if sent == "closed":
            end = channel.terminate(1)
            message = f"the adapter closed its input before the request was written ({end})" + channel.stderr_suffix
            self.restart("a crash")
            return fail(FaultKind.CRASHED, message)
        if sent == "timeout":
            self.restart("a timeout")
            return fail(FaultKind.TIMEOUT, f"the adapter did not read the request within {timeout_text}; it was killed")
        while True:
            event = channel.read_line(deadline, limit)
            if event[0] == "timeout":
                message = f"no answer within {timeout_text}; the adapter was killed and restarted" + channel.stderr_suffix
                self.restart("a timeout")
                return fail(FaultKind.TIMEOUT, message)
            if event[0] == "end":
                end = channel.terminate(1)
                message = f"the adapter ended ({end}) before answering; it was restarted" + channel.stderr_suffix
                self.restart("a crash")
                return fail(FaultKind.CRASHED, message)
            if event[0] == "oversized":
                return fail(FaultKind.OVERSIZED,
                            f"the answer line is longer than {limit} bytes ({event[1]} bytes read); it was dropped")
            text = event[1]
            if not text.strip():
                continue
            try:
                obj = parse(text)
            except JSONSyntaxError as error:
                return fail(FaultKind.GARBAGE, f"the answer is not JSON ({error}): {abbreviate(text, 200)}")
            if not isinstance(obj, dict):
                return fail(FaultKind.GARBAGE, f"the answer is {type_name(obj)}, not a JSON object: {abbreviate(text, 200)}")
            rid = obj.get("id")
            if not isinstance(rid, str) or type_name(rid) != "a string":
                return fail(FaultKind.MALFORMED, f"the answer has no string 'id': {abbreviate(text, 200)}")
            if rid != golden.id:
                if rid in self.sent_ids:
                    self.stale_lines += 1
                    continue
                return fail(FaultKind.WRONG_ID, f"the answer has the id '{abbreviate(rid, 80)}', expected '{golden.id}'")
            try:
                response = decode_response(obj, golden.dtype)
            except ProtocolError as error:
                return fail(FaultKind.MALFORMED, f"the answer is not a valid response: {error.message}")
            result.seconds = time.monotonic() - started
            result.answer = describe_response(response, golden.dtype)
            if response.kind == "unsupported":
                result.status = Status.UNSUPPORTED
                result.detail = response.message or "unsupported (no reason given)"
                return result
            result.status = Status.GRADED
            result.verdict = grade(golden, response, self.grading)
            return result


def run(cases, factory, case_timeout=10.0, max_restarts=10, grading=None, progress=None):
    """Runs ``cases`` against ``factory`` (a channel factory: :class:`CommandChannel`,
    :class:`InProcess`, :class:`Replay`, a :class:`Recorder`); returns ``(session, results)``.
    Raises :class:`AdapterStartError` if the implementation cannot be started the first time."""
    session = Session(factory, case_timeout=case_timeout, max_restarts=max_restarts, grading=grading)
    session.start()
    results = []
    for index, golden in enumerate(cases):
        results.append(session.run_case(golden))
        if progress:
            progress(index + 1, len(cases))
    session.close()
    return session, results
