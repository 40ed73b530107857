"""JSON that keeps numbers as their decimal text (LossCore's ``JSONValue``).

The protocol's numbers are shortest round-trip decimals *in the request's dtype*; parsing them
through ``float`` (Float64) first and then rounding to Float32 would round twice. Keeping the
text lets each number be read once, directly in its dtype (:func:`losscheck.numbers.decode_number`).

:func:`parse` follows RFC 8259 as LossCore's parser does: the bare words ``NaN`` and ``Infinity``
are rejected (the protocol spells non-finite values as strings), and a key given twice is read
as its first occurrence (``JSONValue``'s subscript takes the first member).
"""

import json

__all__ = ["Number", "Object", "JSONSyntaxError", "parse", "type_name"]


class Number(str):
    """A JSON number, kept as its text (``"0.1"``, ``"-0"``, ``"1e-45"``)."""

    __slots__ = ()

    def __repr__(self):
        return f"Number({str.__repr__(self)})"


class Object(dict):
    """A JSON object: lookups see the first occurrence of a key; ``pairs`` keeps every member in order."""

    __slots__ = ("pairs",)

    def __init__(self, pairs):
        super().__init__()
        self.pairs = pairs
        for key, value in pairs:
            if key not in self:
                dict.__setitem__(self, key, value)


class JSONSyntaxError(ValueError):
    """Text that is not JSON, with the 1-based column (LossCore's ``JSONSyntaxError``)."""

    def __init__(self, message, column):
        super().__init__(f"malformed JSON at column {column}: {message}")
        self.column = column
        self.reason = message


def _reject_constant(name):
    raise ValueError(f"invalid literal {name}")


_DECODER = json.JSONDecoder(
    parse_float=Number, parse_int=Number, parse_constant=_reject_constant, object_pairs_hook=Object
)


def parse(text):
    """Parses one JSON document (a line of the protocol); raises :class:`JSONSyntaxError`."""
    try:
        return _DECODER.decode(text)
    except json.JSONDecodeError as error:
        raise JSONSyntaxError(error.msg, error.colno) from None
    except RecursionError:
        raise JSONSyntaxError("nesting too deep", 1) from None
    except ValueError as error:  # a bare NaN/Infinity
        raise JSONSyntaxError(str(error), 1) from None


def type_name(value):
    """A short name of a value's JSON type, for messages (``JSONValue.typeName``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, Number):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def serialize(value):
    """Compact serialization in stored key order (numbers as their text)."""
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, Number):
        return str(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(serialize(v) for v in value) + "]"
    if isinstance(value, Object):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + serialize(v) for k, v in value.pairs) + "}"
    if isinstance(value, dict):
        return "{" + ",".join(json.dumps(k, ensure_ascii=False) + ":" + serialize(v) for k, v in value.items()) + "}"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, int):
        return str(value)
    raise TypeError(f"cannot serialize {type(value).__name__}")
