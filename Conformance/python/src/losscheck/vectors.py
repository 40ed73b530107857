"""The golden vectors (``Conformance/vectors``): reading, checking and selecting them.

A vector line is a ``losscheck/1`` request plus an ``expect`` object (Conformance/PROTOCOL.md,
"Golden vectors"); ``MANIFEST.json`` records the schema (``losscheck-vectors/1``), the seed, and
each file's case count, regime counts and SHA-256. :func:`load` checks the manifest (schema name,
every file's digest and counts, no unlisted file) and every line (a port of LossConformance's
``GoldenCase(line:)``, ``Expectation.decode`` and ``VectorFiles.load``); a problem is a
:class:`VectorFileError` naming the file and line.
"""

import hashlib
import json
import os

from .jsontext import JSONSyntaxError, Number, Object, parse, serialize
from .numbers import HALF_FORMATS, ProtocolError, decode_number, machine_epsilon, round_to_dtype
from .protocol import LOSSES, ERROR_KINDS, Shape, decode_request, reduces_over_dims, takes_aggregation
from .tiers import Regime

__all__ = ["SCHEMA", "VectorFileError", "Expectation", "GoldenCase", "VectorSet", "load", "find_vectors", "select"]

#: The version of the vector schema (``expect`` object, ids, file layout) this code reads.
SCHEMA = "losscheck-vectors/1"

_OUTCOME_CLASSES = ("finite", "NaN", "+Inf", "-Inf")


class VectorFileError(Exception):
    """A problem in a golden vector file or its manifest, naming the file (and line when known)."""


class Expectation:
    """What a golden case expects: the ``expect`` object.

    ``outcome`` is ``"scalar"``, ``"array"`` (with ``shape``) or an error kind (``error_kind``);
    ``exact`` holds per value a decimal (≥ 40 significant digits) or ``"NaN"``, ``"Infinity"``,
    ``"-Infinity"``; ``float32``/``float64`` the exact value correctly rounded to each format (as
    floats); ``error_scale`` the error scale ``S``; ``regime`` and ``tags``. A float16 or bfloat16
    case (issue 15) also has ``half``: the exact value correctly rounded to the request's dtype, the
    vector's member named by the dtype (``"float16"`` or ``"bfloat16"``); it is what the case's
    answers are graded against (``rounded``).
    """

    __slots__ = ("outcome", "shape", "error_kind", "exact", "float32", "float64", "error_scale", "regime", "tags",
                 "half", "half_dtype")

    def __init__(self, outcome, regime, tags, shape=None, error_kind=None, exact=(), float32=(), float64=(),
                 error_scale=(), half=(), half_dtype=None):
        self.outcome = outcome
        self.shape = shape
        self.error_kind = error_kind
        self.exact = list(exact)
        self.float32 = list(float32)
        self.float64 = list(float64)
        self.error_scale = list(error_scale)
        self.regime = regime
        self.tags = list(tags)
        self.half = list(half)
        self.half_dtype = half_dtype

    def rounded(self, dtype):
        """The correctly rounded values in ``dtype``."""
        if dtype in HALF_FORMATS:
            if dtype != self.half_dtype:
                raise VectorFileError(f"expect has no {dtype} member")
            return self.half
        return self.float32 if dtype == "float32" else self.float64

    @property
    def outcome_name(self):
        """``finite``, ``+Inf``, ``-Inf``, ``NaN``, ``array``, or the error kind."""
        if self.outcome == "scalar":
            return {"NaN": "NaN", "Infinity": "+Inf", "-Infinity": "-Inf"}.get(self.exact[0], "finite")
        if self.outcome == "array":
            return "array"
        return self.error_kind

    @classmethod
    def decode(cls, obj, dtype):
        """Reads an ``expect`` object; raises :class:`VectorFileError` naming the field."""
        if not isinstance(obj, dict):
            raise VectorFileError("expect must be an object")
        outcome = obj.get("outcome")
        if not isinstance(outcome, str) or isinstance(outcome, Number):
            raise VectorFileError("expect.outcome must be a string")
        regime = obj.get("regime")
        if isinstance(regime, Number) or regime not in ("benign", "edge", "extreme"):
            raise VectorFileError("expect.regime must be one of benign, edge, extreme")
        regime = Regime(str(regime))
        tags = []
        if isinstance(obj.get("tags"), list):
            tags = [str(t) for t in obj["tags"] if isinstance(t, str) and not isinstance(t, Number)]

        # A half-dtype case carries its dtype's correctly rounded value under the dtype's name.
        is_half = dtype in HALF_FORMATS

        def number(value, dt, field):
            if value is None:
                raise VectorFileError(f"expect.{field} is missing")
            try:
                return decode_number(value, dt, f"expect.{field}")
            except ProtocolError as error:
                raise VectorFileError(error.message) from None

        def items(field):
            value = obj.get(field)
            if not isinstance(value, list):
                raise VectorFileError(f"expect.{field} must be an array for an array outcome")
            return value

        if outcome == "array":
            dims = obj.get("shape")
            if not isinstance(dims, list):
                raise VectorFileError("expect.shape is missing")
            shape = []
            for d in dims:
                if isinstance(d, Number):
                    try:
                        shape.append(int(d))
                    except ValueError:
                        raise VectorFileError("expect.shape must hold integers") from None
            shape = Shape(shape)
            exact = []
            for item in items("exact"):
                if not isinstance(item, str) or isinstance(item, Number):
                    raise VectorFileError("expect.exact must hold strings")
                exact.append(str(item))
            f32 = [number(v, "float32", "float32") for v in items("float32")]
            f64 = [number(v, "float64", "float64") for v in items("float64")]
            scales = [number(v, "float64", "errorScale") for v in items("errorScale")]
            half = [number(v, dtype, dtype) for v in items(dtype)] if is_half else f64
            n = shape.count
            if not (len(exact) == len(f32) == len(f64) == len(scales) == len(half) == n):
                raise VectorFileError(f"expect: the value arrays must have {n} elements for shape {shape}")
            return cls("array", regime, tags, shape=shape, exact=exact, float32=f32, float64=f64, error_scale=scales,
                       half=half if is_half else (), half_dtype=dtype if is_half else None)
        if outcome in _OUTCOME_CLASSES:
            exact = obj.get("exact")
            if not isinstance(exact, str) or isinstance(exact, Number):
                raise VectorFileError("expect.exact must be a string")
            return cls("scalar", regime, tags, exact=[str(exact)],
                       float32=[number(obj.get("float32"), "float32", "float32")],
                       float64=[number(obj.get("float64"), "float64", "float64")],
                       error_scale=[number(obj.get("errorScale"), "float64", "errorScale")],
                       half=[number(obj.get(dtype), dtype, dtype)] if is_half else (),
                       half_dtype=dtype if is_half else None)
        if outcome not in ERROR_KINDS:
            raise VectorFileError(f"expect.outcome '{outcome}' is not an outcome")
        return cls("error", regime, tags, error_kind=str(outcome))


def numpy_dtype(dtype):
    """The numpy scalar type of a dtype: float32, float64, float16, and ``ml_dtypes.bfloat16`` for
    bfloat16 (an ImportError without ml_dtypes: numpy has no bfloat16)."""
    import numpy as np  # noqa: PLC0415

    if dtype == "bfloat16":
        import ml_dtypes  # noqa: PLC0415

        return ml_dtypes.bfloat16
    return {"float32": np.float32, "float64": np.float64, "float16": np.float16}[dtype]


class GoldenCase:
    """One golden case: a request, what it must produce, and where it was read.

    ``request`` is the decoded :class:`~losscheck.protocol.Request` (values are floats, exact
    values of the dtype); ``request_line`` the line sent to an adapter (the vector line without
    its ``expect`` member, byte for byte); ``file`` and ``line`` where it came from.
    """

    __slots__ = ("request", "expectation", "request_object", "_request_line", "file", "line")

    def __init__(self, request, expectation, request_object, file=None, line=None):
        self.request = request
        self.expectation = expectation
        self.request_object = request_object
        self._request_line = None
        self.file = file
        self.line = line

    @property
    def request_line(self):
        """The request line sent to an adapter, without a line feed."""
        if self._request_line is None:
            self._request_line = serialize(self.request_object)
        return self._request_line

    id = property(lambda self: self.request.id)
    loss = property(lambda self: self.request.loss)
    dtype = property(lambda self: self.request.dtype)
    regime = property(lambda self: self.expectation.regime)
    tags = property(lambda self: self.expectation.tags)

    @classmethod
    def from_line(cls, text, file=None, line=None):
        """Reads one vector line; raises :class:`VectorFileError` naming what is wrong."""
        try:
            obj = parse(text)
        except JSONSyntaxError as error:
            raise VectorFileError(str(error)) from None
        try:
            request = decode_request(obj)
        except ProtocolError as error:
            raise VectorFileError(f"the request does not decode: {error}") from None
        if "expect" not in obj:
            raise VectorFileError("the line has no 'expect' object")
        if not request.id:
            raise VectorFileError("the line has no id")
        expectation = Expectation.decode(obj["expect"], request.dtype)
        request_object = Object([(k, v) for k, v in obj.pairs if k != "expect"])
        return cls(request, expectation, request_object, file, line)

    # MARK: What a framework's test needs

    @property
    def terms(self):
        """The number of terms ``n`` reduced into each value (``Grader.termCount``): every element of ŷ
        for a reduced result (``mean``, ``sum``, dice, tversky), the size of the reduced ``dims``
        block for ``agg = none`` of the class-reducing losses, 1 for ``agg = none`` of an
        elementwise loss."""
        r = self.request
        n = r.yhat.count
        if r.params.get("agg") != "none" or not takes_aggregation(r.loss):
            return n
        if not reduces_over_dims(r.loss):
            return 1
        count = 1
        for d in set(r.params.get("dims") or [1]):
            count *= r.yhat.shape.size(d)
        return count

    def parameters(self):
        """The loss's parameters with Flux's defaults, scalars converted to the dtype (``ofeltype``):
        ``agg``, and as the loss takes them ``eps``, ``dims``, ``weight``, ``delta``, ``smooth``, ``beta``."""
        r = self.request
        p = r.params
        out = {}
        from .protocol import ACCEPTED_PARAMETERS, Tensor  # noqa: PLC0415
        accepted = ACCEPTED_PARAMETERS[r.loss]
        if "agg" in accepted:
            out["agg"] = p.get("agg", "mean")
        if "eps" in accepted:
            out["eps"] = round_to_dtype(p["eps"], r.dtype) if "eps" in p else machine_epsilon(r.dtype)
        if "dims" in accepted:
            out["dims"] = list(p.get("dims", [1]))
        if "weight" in accepted:
            w = p.get("weight")
            out["weight"] = w if isinstance(w, Tensor) or w is None else round_to_dtype(w, r.dtype)
        for name, default in (("delta", 1.0), ("smooth", 1.0), ("beta", 0.7)):
            if name in accepted:
                out[name] = round_to_dtype(p.get(name, default), r.dtype)
        return out

    def arrays(self):
        """ŷ and y as numpy arrays of the dtype in Julia's column-major shape (``order="F"``; y a numpy
        scalar for a constant label). Needs numpy; without it use ``request.yhat.values`` (flat,
        column-major) and ``request.yhat.shape``."""
        import numpy as np  # noqa: PLC0415

        t = numpy_dtype(self.dtype)
        r = self.request

        def array(tensor):
            return np.array(tensor.values, dtype=np.float64).astype(t).reshape(tuple(tensor.shape), order="F")

        y = array(r.y) if hasattr(r.y, "values") else t(r.y)
        return array(r.yhat), y

    def replay_command(self, adapter="<adapter command>"):
        """The losscheck command line that replays this case alone."""
        return f'losscheck conform --adapter "{adapter}" --id {self.id}'

    def __repr__(self):
        return f"GoldenCase({self.id!r})"


class VectorSet:
    """The cases of a vector directory (every ``*.jsonl`` in name order) and its manifest."""

    def __init__(self, cases, manifest, directory):
        self.cases = cases
        self.manifest = manifest
        self.directory = directory

    def __len__(self):
        return len(self.cases)

    def __iter__(self):
        return iter(self.cases)

    def select(self, **criteria):
        return select(self.cases, **criteria)


def _check_manifest(directory, files):
    path = os.path.join(directory, "MANIFEST.json")
    try:
        with open(path, encoding="utf-8") as f:
            manifest = json.load(f)
    except OSError as error:
        raise VectorFileError(f"{path}: cannot read the manifest: {error.strerror}") from None
    except ValueError as error:
        raise VectorFileError(f"{path}: not JSON: {error}") from None
    if not isinstance(manifest, dict):
        raise VectorFileError(f"{path}: the manifest must be a JSON object")
    if manifest.get("schema") != SCHEMA:
        raise VectorFileError(f"{path}: schema '{manifest.get('schema')}', expected '{SCHEMA}'")
    listed = manifest.get("files")
    if not isinstance(listed, list):
        raise VectorFileError(f"{path}: 'files' must be an array")
    names = set()
    for index, entry in enumerate(listed, start=1):
        if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not isinstance(
                entry.get("sha256"), str):
            raise VectorFileError(f"{path}: files[{index}] must have a string 'name' and 'sha256'")
        names.add(entry["name"])
        file = os.path.join(directory, entry["name"])
        if entry["name"] not in files:
            raise VectorFileError(f"{path}: files[{index}]: {file} is listed but missing")
        digest = hashlib.sha256(files[entry["name"]]).hexdigest()
        if digest != entry["sha256"]:
            raise VectorFileError(
                f"{file}: SHA-256 {digest} does not match the manifest's {entry['sha256']} ({path}); "
                "the file was edited or truncated — regenerate with `losscheck vectors`")
    for name in files:
        if name not in names:
            raise VectorFileError(f"{os.path.join(directory, name)}: not listed in {path}")
    return manifest


def load(path=None, check_manifest=True):
    """The golden cases of a directory (every ``*.jsonl``, name order) or of one file.

    With a directory and ``check_manifest`` (the default), ``MANIFEST.json`` must exist, name the
    schema ``losscheck-vectors/1``, list every ``.jsonl`` file with its SHA-256, case count and
    regime counts. Raises :class:`VectorFileError` naming the file and line of the first problem.
    """
    path = path or find_vectors()
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.endswith(".jsonl"))
        if not names:
            raise VectorFileError(f"no .jsonl files in {path}")
        directory = path
    elif os.path.exists(path):
        names = [os.path.basename(path)]
        directory = os.path.dirname(path) or "."
        check_manifest = False
    else:
        raise VectorFileError(f"no such file or directory: {path}")
    contents = {}
    for name in names:
        with open(os.path.join(directory, name), "rb") as f:
            contents[name] = f.read()
    manifest = _check_manifest(directory, contents) if check_manifest else None
    cases = []
    seen = set()
    for name in names:
        file = os.path.join(directory, name)
        try:
            text = contents[name].decode("utf-8")
        except UnicodeDecodeError as error:
            raise VectorFileError(f"{file}: not UTF-8 ({error})") from None
        own = []
        for number, line in enumerate(text.split("\n"), start=1):
            if not line.strip():
                continue
            try:
                golden = GoldenCase.from_line(line, file, number)
            except VectorFileError as error:
                raise VectorFileError(f"{file}:{number}: {error}") from None
            if golden.id in seen:
                raise VectorFileError(f"{file}:{number}: duplicate id '{golden.id}'")
            seen.add(golden.id)
            own.append(golden)
        if manifest is not None:
            entry = next(e for e in manifest["files"] if e["name"] == name)
            if "cases" in entry and entry["cases"] != len(own):
                raise VectorFileError(f"{file}: {len(own)} cases, the manifest says {entry['cases']}")
            for regime, count in (entry.get("regimes") or {}).items():
                found = sum(1 for c in own if c.regime.value == regime)
                if found != count:
                    raise VectorFileError(f"{file}: {found} {regime} cases, the manifest says {count}")
        cases.extend(own)
    if manifest is not None and "cases" in manifest and manifest["cases"] != len(cases):
        raise VectorFileError(f"{directory}: {len(cases)} cases, MANIFEST.json says {manifest['cases']}")
    return VectorSet(cases, manifest, directory)


def content_id(golden):
    """The content-hash id the case should have: ``<loss>-<f32|f64>-`` and the first 12 hex digits
    of the SHA-256 of the canonical request (the request line with ``"id":""``)."""
    pairs = [(k, "" if k == "id" else v) for k, v in golden.request_object.pairs]
    digest = hashlib.sha256(serialize(Object(pairs)).encode("utf-8")).hexdigest()
    short = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16"}[golden.dtype]
    return f"{golden.loss}-{short}-{digest[:12]}"


def find_vectors(start=None):
    """``$LOSSCHECK_VECTORS``, else the first ``Conformance/vectors`` with a MANIFEST.json in
    ``start`` (default: the working directory) or one of its parents."""
    env = os.environ.get("LOSSCHECK_VECTORS")
    if env:
        return env
    here = os.path.abspath(start or os.getcwd())
    while True:
        candidate = os.path.join(here, "Conformance", "vectors")
        if os.path.exists(os.path.join(candidate, "MANIFEST.json")):
            return candidate
        parent = os.path.dirname(here)
        if parent == here:
            raise VectorFileError(
                "cannot find Conformance/vectors (set LOSSCHECK_VECTORS or pass the directory)")
        here = parent


def select(cases, loss=None, dtype=None, regime=None, tag=None, id=None):
    """The cases matching every given criterion; each is a string or a list (any matches), as
    ``losscheck conform --loss/--dtype/--regime/--tag/--id`` select."""

    def norm(x):
        return None if x is None or x == [] else ({x} if isinstance(x, str) else set(x))

    losses, dtypes, regimes, tags, ids = map(norm, (loss, dtype, regime, tag, id))
    if losses:
        unknown = {name for name in losses if name not in LOSSES}
        if unknown:
            raise ValueError(f"unknown loss {', '.join(sorted(unknown))} (known: {', '.join(LOSSES)})")
    out = []
    for c in cases:
        if losses and c.loss not in losses:
            continue
        if dtypes and c.dtype not in dtypes:
            continue
        if regimes and c.regime.value not in regimes:
            continue
        if ids and c.id not in ids:
            continue
        if tags and not any(t in tags for t in c.tags):
            continue
        out.append(c)
    return out
