"""Known-divergence manifests (``losscheck-divergences/1``; a port of ``DivergenceManifest.swift``).

A manifest (``Conformance/divergences/*.json``) lists the cases where an implementation is known,
documented and accepted to differ from Flux's semantics::

    {"schema": "losscheck-divergences/1",
     "implementation": "torch native",
     "divergences": [
       {"loss": "binarycrossentropy", "tag": ["yhat:zero", "yhat:one"],
        "reason": "torch clamps log at -100 and adds no ϵ",
        "link": "https://pytorch.org/docs/stable/generated/torch.nn.BCELoss.html"}]}

An entry selects cases by ``id``, ``loss``, ``dtype``, ``tag`` and ``regime`` (each a string or an
array of strings: any of them matches; every field given must match; at least one field must be
given). A selected case that misses the required tier is a *known divergence* and does not fail
the gate; a selected case that meets it is an *unexpected pass*, reported; an entry that selects
no failing case is *stale*, warned about.
"""

import json

from .vectors import VectorFileError

__all__ = ["SCHEMA", "DivergenceEntry", "load_manifest"]

SCHEMA = "losscheck-divergences/1"
_SELECTORS = ("id", "loss", "dtype", "tag", "regime")


class DivergenceEntry:
    """One entry: the selectors (lists of strings or ``None``), ``reason`` and ``link``."""

    def __init__(self, reason, link, id=None, loss=None, dtype=None, tag=None, regime=None):
        self.id, self.loss, self.dtype, self.tag, self.regime = id, loss, dtype, tag, regime
        self.reason = reason
        self.link = link

    @property
    def problem(self):
        """What makes the entry invalid, or ``None``."""
        if all(getattr(self, key) is None for key in _SELECTORS):
            return "no selector (give at least one of id, loss, dtype, tag, regime)"
        if not self.reason.strip(" "):
            return "the reason is empty"
        if not (self.link.startswith("https://") or self.link.startswith("http://")):
            return "the link must be an http(s) URL"
        return None

    def matches(self, result):
        """Whether the entry selects a case result (or a golden case)."""
        if self.id is not None and result.id not in self.id:
            return False
        if self.loss is not None and result.loss not in self.loss:
            return False
        if self.dtype is not None and result.dtype not in self.dtype:
            return False
        if self.regime is not None and result.regime.value not in self.regime:
            return False
        if self.tag is not None and not any(t in result.tags for t in self.tag):
            return False
        return True

    @property
    def selector_description(self):
        """The selector, for messages: ``loss=binarycrossentropy tag=yhat:zero|yhat:one``."""
        return " ".join(f"{k}={'|'.join(getattr(self, k))}" for k in _SELECTORS if getattr(self, k) is not None)

    def as_json(self):
        out = {k: getattr(self, k) for k in _SELECTORS if getattr(self, k) is not None}
        out.update(reason=self.reason, link=self.link)
        return out


def load_manifest(path):
    """Reads and validates a manifest file; raises :class:`~losscheck.vectors.VectorFileError`
    naming the file and what is wrong. Returns ``(implementation, [DivergenceEntry])``."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except OSError as error:
        raise VectorFileError(f"cannot read the divergence manifest {path}: {error.strerror}") from None
    except ValueError as error:
        raise VectorFileError(f"{path} is not a divergence manifest: {error}") from None
    if not isinstance(data, dict):
        raise VectorFileError(f"{path} is not a divergence manifest: expected an object")
    for key in ("schema", "divergences"):
        if key not in data:
            raise VectorFileError(f"{path} is not a divergence manifest: missing '{key}' at ")
    if data["schema"] != SCHEMA:
        raise VectorFileError(f"{path}: schema '{data['schema']}', expected '{SCHEMA}'")
    if not isinstance(data["divergences"], list):
        raise VectorFileError(f"{path} is not a divergence manifest: 'divergences' must be an array")
    entries = []
    for index, item in enumerate(data["divergences"], start=1):
        where = f"{path}: divergence {index}"
        if not isinstance(item, dict):
            raise VectorFileError(f"{where}: must be an object")
        selectors = {}
        for key in _SELECTORS:
            if key not in item:
                continue
            value = item[key]
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise VectorFileError(f"{where}: '{key}' must be a string or an array of strings")
            selectors[key] = value
        for key in ("reason", "link"):
            if not isinstance(item.get(key), str):
                raise VectorFileError(f"{where}: missing the string '{key}'")
        entry = DivergenceEntry(item["reason"], item["link"], **selectors)
        if entry.problem:
            raise VectorFileError(f"{where}: {entry.problem}")
        entries.append(entry)
    return data.get("implementation"), entries
