"""Requests and responses of ``losscheck/1`` (a port of LossCore's ``ProtocolCodec`` decoding).

Every decoding error is a :class:`~losscheck.numbers.ProtocolError` whose message names the
field, with the messages of the Swift codec, so that a malformed answer is the same ``malformed``
fault with either grader.
"""

import re

from .jsontext import Number, Object, serialize, type_name
from .numbers import ProtocolError, argument_error, decode_number

__all__ = [
    "LOSSES", "ALIASES", "ACCEPTED_PARAMETERS", "PARAMETER_NAMES", "ERROR_KINDS", "Shape", "Tensor", "Request",
    "Response", "decode_request", "decode_response", "decode_hello", "loss_id", "PROTOCOL",
]

PROTOCOL = "losscheck/1"

#: The fourteen losses, in LossID order (the order of tables and files).
LOSSES = (
    "mae", "mse", "msle", "huber_loss", "crossentropy", "logitcrossentropy", "binarycrossentropy",
    "logitbinarycrossentropy", "kldivergence", "poisson_loss", "hinge", "squared_hinge", "dice_coeff_loss",
    "tversky_loss",
)
#: Flux's later names, accepted as aliases.
ALIASES = {"hinge_loss": "hinge", "squared_hinge_loss": "squared_hinge"}

#: The parameters each loss accepts (SEMANTICS.md).
ACCEPTED_PARAMETERS = {
    "mae": {"agg"}, "mse": {"agg"}, "hinge": {"agg"}, "squared_hinge": {"agg"}, "logitbinarycrossentropy": {"agg"},
    "poisson_loss": {"agg"}, "msle": {"agg", "eps"}, "binarycrossentropy": {"agg", "eps"},
    "huber_loss": {"agg", "delta"}, "crossentropy": {"agg", "eps", "dims", "weight"},
    "logitcrossentropy": {"agg", "dims", "weight"}, "kldivergence": {"agg", "eps", "dims"},
    "dice_coeff_loss": {"smooth"}, "tversky_loss": {"beta"},
}
PARAMETER_NAMES = ("agg", "eps", "dims", "weight", "delta", "smooth", "beta")
#: Error kinds of the protocol; a reader maps any other kind to ``Other``.
ERROR_KINDS = ("DimensionMismatch", "DomainError", "ArgumentError", "Other")

_INT = re.compile(r"-?[0-9]+\Z")


def loss_id(name):
    """A loss id from its Flux name or an accepted alias, or ``None``."""
    if name in ALIASES:
        return ALIASES[name]
    return name if name in LOSSES else None


def takes_aggregation(loss):
    """Whether the loss takes an ``agg`` (dice and tversky reduce over everything and take none)."""
    return "agg" in ACCEPTED_PARAMETERS[loss]


def reduces_over_dims(loss):
    """Whether the loss reduces over ``dims`` before aggregating (the class dimension)."""
    return "dims" in ACCEPTED_PARAMETERS[loss]


class Shape(tuple):
    """The shape of a column-major (Julia-order) array; ``()`` is 0-dimensional, one element."""

    @property
    def rank(self):
        return len(self)

    @property
    def count(self):
        n = 1
        for d in self:
            n *= d
        return n

    def size(self, d):
        """The size of 1-based dimension ``d``; dimensions beyond the rank have size 1, as in Julia."""
        return self[d - 1] if 1 <= d <= len(self) else 1

    def __str__(self):
        """Julia's spelling: ``(3, 4)``, ``(5,)`` for a vector, ``()`` for rank 0."""
        return f"({self[0]},)" if len(self) == 1 else "(" + ", ".join(map(str, self)) + ")"

    def validate(self, name):
        for d in self:
            if d < 0:
                raise argument_error(f"{name} has a negative dimension: shape {self}")
        total = 1
        for d in self:
            total *= d
            if total > 1 << 40:
                raise argument_error(f"{name} shape {self} has too many elements")


class Tensor:
    """Flat column-major values (floats, exact values of the dtype) with a shape."""

    __slots__ = ("shape", "values")

    def __init__(self, shape, values):
        shape = Shape(shape)
        shape.validate("array")
        if shape.count != len(values):
            raise ProtocolError(
                "DimensionMismatch", f"an array of shape {shape} needs {shape.count} values, got {len(values)}")
        self.shape = shape
        self.values = values

    @property
    def count(self):
        return len(self.values)


class Request:
    """A decoded request: ``id``, ``loss``, ``dtype``, ``yhat`` (a :class:`Tensor`), ``y`` (a Tensor, or
    a float for a constant label) and ``params`` (a dict of the parameters given: ``agg``, ``eps``,
    ``dims``, ``weight`` (float or Tensor), ``delta``, ``smooth``, ``beta``; scalar parameters as
    Float64 literals, not yet converted to the dtype)."""

    __slots__ = ("id", "loss", "dtype", "yhat", "y", "params")

    def __init__(self, id, loss, dtype, yhat, y, params):
        self.id = id
        self.loss = loss
        self.dtype = dtype
        self.yhat = yhat
        self.y = y
        self.params = params


def _decode_numbers(value, dtype, field):
    if not isinstance(value, list):
        raise argument_error(f"{field} must be an array of numbers, got {'nothing' if value is None else type_name(value)}")
    return [decode_number(item, dtype, f"{field}[{i + 1}]") for i, item in enumerate(value)]


def _decode_shape(value, field):
    if not isinstance(value, list):
        raise argument_error(
            f"{field} must be an array of non-negative integers, got {'nothing' if value is None else type_name(value)}")
    dims = []
    for item in value:
        if not (isinstance(item, Number) and _INT.match(item)) or int(item) < 0:
            raise argument_error(f"{field} must be an array of non-negative integers, got {serialize(item)}")
        dims.append(int(item))
    shape = Shape(dims)
    shape.validate(field)
    return shape


def decode_request(obj):
    """Decodes one request (also a golden-vector line: unknown fields such as ``expect`` are ignored).

    Raises :class:`ProtocolError`: ``ArgumentError`` naming the missing or malformed field,
    ``DimensionMismatch`` when a value count disagrees with its shape.
    """
    if not isinstance(obj, dict):
        raise argument_error(f"a request must be a JSON object, got {type_name(obj)}")
    raw_id = obj.get("id")
    if raw_id is None and "id" not in obj:
        rid = ""
    elif isinstance(raw_id, str):  # a Number is its text
        rid = str(raw_id)
    else:
        raise argument_error(f"id must be a string, got {type_name(raw_id)}")
    quoted = "" if not rid else f"'{rid}' "
    name = obj.get("loss")
    if not isinstance(name, str) or isinstance(name, Number):
        raise argument_error(f"request {quoted}is missing the string field 'loss'")
    loss = loss_id(name)
    if loss is None:
        raise argument_error(f"unknown loss '{name}' (known: {', '.join(LOSSES)})")
    dtype = "float64"
    if "dtype" in obj:
        d = obj["dtype"]
        if isinstance(d, Number) or d not in ("float32", "float64", "float16", "bfloat16"):
            raise argument_error(f'dtype must be "float32", "float64", "float16" or "bfloat16", got {serialize(d)}')
        dtype = str(d)
    yhat_values = _decode_numbers(obj.get("yhat"), dtype, "yhat")
    shape = Shape([len(yhat_values)]) if "shape" not in obj else _decode_shape(obj["shape"], "shape")
    yhat = Tensor(shape, yhat_values)
    if "y" not in obj:
        raise argument_error(f"request {quoted}is missing the field 'y'")
    yv = obj["y"]
    if isinstance(yv, list):
        values = _decode_numbers(yv, dtype, "y")
        yshape = shape if "yshape" not in obj else _decode_shape(obj["yshape"], "yshape")
        try:
            y = Tensor(yshape, values)
        except ProtocolError:
            raise ProtocolError(
                "DimensionMismatch",
                f"y has {len(values)} values, which does not fit its shape {yshape} "
                "(give 'yshape' when y's shape differs from ŷ's)") from None
    else:
        y = decode_number(yv, dtype, "y")
    params = _decode_parameters(obj["params"] if "params" in obj else None, "params" in obj, dtype)
    return Request(rid, loss, dtype, yhat, y, params)


def _decode_parameters(value, present, dtype):
    params = {}
    if not present:
        return params
    if not isinstance(value, dict):
        raise argument_error(f"params must be an object, got {type_name(value)}")
    pairs = value.pairs if isinstance(value, Object) else list(value.items())
    for key, item in pairs:
        if key not in PARAMETER_NAMES:
            raise argument_error(f"unknown parameter '{key}' (known: {', '.join(PARAMETER_NAMES)})")
        if key == "agg":
            if isinstance(item, Number) or item not in ("mean", "sum", "none"):
                raise argument_error(f'agg must be "mean", "sum" or "none", got {serialize(item)}')
            params["agg"] = str(item)
        elif key in ("eps", "delta", "smooth", "beta"):
            params[key] = decode_number(item, "float64", f"params.{key}")
        elif key == "dims":
            items = item if isinstance(item, list) else [item]
            dims = []
            for d in items:
                if not (isinstance(d, Number) and _INT.match(d)):
                    raise argument_error(f"dims must be 1-based integers, got {serialize(item)}")
                dims.append(int(d))
            params["dims"] = dims
        elif key == "weight":
            if isinstance(item, dict):
                wshape = _decode_shape(item.get("shape"), "params.weight.shape")
                data = _decode_numbers(item.get("data"), dtype, "params.weight.data")
                params["weight"] = Tensor(wshape, data)
            else:
                params["weight"] = decode_number(item, "float64", "params.weight")
    return params


class Response:
    """A decoded response: ``kind`` is ``value`` (``value`` a float or a :class:`Tensor`),
    ``error`` (``error_kind``, ``message``) or ``unsupported`` (``message``)."""

    __slots__ = ("id", "kind", "value", "error_kind", "message")

    def __init__(self, id, kind, value=None, error_kind=None, message=""):
        self.id = id
        self.kind = kind
        self.value = value
        self.error_kind = error_kind
        self.message = message

    @classmethod
    def of_value(cls, id, value):
        return cls(id, "value", value=value)

    @classmethod
    def of_error(cls, id, kind, message):
        return cls(id, "error", error_kind=kind if kind in ERROR_KINDS else "Other", message=message)

    @classmethod
    def of_unsupported(cls, id, reason):
        return cls(id, "unsupported", message=reason)


def decode_response(obj, dtype):
    """Decodes a response (``ProtocolCodec.decodeResponse``). An array value without a ``shape`` is a vector."""
    if not isinstance(obj, dict):
        raise argument_error(f"a response must be a JSON object, got {type_name(obj)}")
    rid = obj.get("id")
    if not isinstance(rid, str) or isinstance(rid, Number):
        raise argument_error("response is missing the string field 'id'")
    if "error" in obj:
        error = obj["error"]
        kind = error.get("kind") if isinstance(error, dict) else None
        if not isinstance(kind, str) or isinstance(kind, Number):
            raise argument_error(f"response '{rid}': error.kind must be a string")
        message = error.get("message")
        message = message if isinstance(message, str) and not isinstance(message, Number) else ""
        return Response.of_error(rid, str(kind), str(message))
    reason = obj.get("unsupported")
    if isinstance(reason, str) and not isinstance(reason, Number):
        return Response.of_unsupported(rid, str(reason))
    if "value" not in obj:
        raise argument_error(f"response '{rid}' has none of 'value', 'error', 'unsupported'")
    value = obj["value"]
    if isinstance(value, list):
        values = _decode_numbers(value, dtype, "value")
        shape = Shape([len(values)]) if "shape" not in obj else _decode_shape(obj["shape"], "shape")
        return Response.of_value(rid, Tensor(shape, values))
    return Response.of_value(rid, decode_number(value, dtype, "value"))


class Hello:
    __slots__ = ("implementation", "losses", "dtypes")

    def __init__(self, implementation, losses, dtypes):
        self.implementation = implementation
        self.losses = losses
        self.dtypes = dtypes


def decode_hello(obj):
    """Decodes and validates a hello line (``ProtocolCodec.decodeHello``)."""
    proto = obj.get("protocol") if isinstance(obj, dict) else None
    if not isinstance(proto, str) or isinstance(proto, Number):
        raise argument_error("hello line is missing the string field 'protocol'")
    if proto != PROTOCOL:
        raise argument_error(f"adapter speaks '{proto}', expected '{PROTOCOL}'")

    def strings(key):
        items = obj.get(key)
        if not isinstance(items, list):
            raise argument_error(f"hello line is missing the array field '{key}'")
        for item in items:
            if not isinstance(item, str) or isinstance(item, Number):
                raise argument_error(f"hello '{key}' must hold strings")
        return [str(s) for s in items]

    name = obj.get("implementation")
    name = str(name) if isinstance(name, str) and not isinstance(name, Number) else ""
    return Hello(name, strings("losses"), strings("dtypes"))
