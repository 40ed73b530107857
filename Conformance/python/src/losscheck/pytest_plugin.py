"""The losscheck pytest plugin: one test per golden vector, graded with the tiers of ``losscheck conform``.

A framework's test module names its implementation and imports the test::

    # test_my_losses.py
    import my_framework_adapter                     # one function per loss, f(req) -> value
    losscheck_implementation = my_framework_adapter.LOSSES
    from losscheck.pytest_plugin import test_losscheck  # noqa: F401,E402  (one test per vector)

``losscheck_implementation`` is a table ``{loss: f(req)}`` (the functions of a Python adapter,
``req`` a :class:`losscheck.request.Request`; set ``losscheck_request_class`` to use another
request class), or a callable ``respond(request_object) -> response object`` (an adapter's
answer as a dict), or a channel factory (:class:`losscheck.runner.CommandChannel`, …). Instead,
``losscheck_adapter = "python3 my_adapter.py"`` runs an adapter command line (from the pytest
root directory), with a per-case timeout and restarts as ``losscheck conform`` has them.

Each case passes when its tier meets the required one (``--losscheck-require``, default
``acceptable``), fails with the case, the exact value, the answer, its ulps and scaled error, the
tier and the command that replays it otherwise; extreme-regime cases below the tier are
``xfail`` (a robustness score, gated with ``--losscheck-gate-extreme``), cases a divergence
manifest lists are ``xfail`` with its reason, ``unsupported`` answers are skipped with theirs.
The summary at the end is ``losscheck conform``'s table of tiers per loss and dtype.
"""

import os

import pytest

from .divergences import load_manifest
from .grading import GradingOptions
from .jsontext import serialize
from .numbers import spell
from .report import GateEvaluation, text_summary
from .results import Status
from .runner import CommandChannel, InProcess, Session, table_channel
from .tiers import Regime, Tier, format_g
from .vectors import find_vectors, load, select

__all__ = ["test_losscheck"]

_STATE = {}


def pytest_addoption(parser):
    group = parser.getgroup("losscheck", "losscheck golden vectors (Flux.jl's losses)")
    group.addoption("--losscheck-loss", action="append", default=[], metavar="LOSS",
                    help="grade only these losses (repeatable)")
    group.addoption("--losscheck-dtype", action="append", default=[], choices=["float32", "float64"],
                    help="grade only this dtype (repeatable)")
    group.addoption("--losscheck-regime", action="append", default=[], choices=["benign", "edge", "extreme"],
                    help="grade only these regimes (repeatable)")
    group.addoption("--losscheck-tag", action="append", default=[], metavar="TAG",
                    help="grade only cases with one of these tags (repeatable)")
    group.addoption("--losscheck-id", action="append", default=[], metavar="ID", help="grade only these case ids")
    group.addoption("--losscheck-require", default="acceptable", choices=[t.value for t in Tier], metavar="TIER",
                    help="the tier every gated case must meet (default: acceptable)")
    group.addoption("--losscheck-divergences", action="append", default=[], metavar="FILE",
                    help="a known-divergence manifest (repeatable): listed cases below the tier are xfail")
    group.addoption("--losscheck-gate-extreme", action="store_true", help="gate the extreme regime too")
    group.addoption("--losscheck-allow-nan-for-domain-error", action="store_true",
                    help="accept NaN where Flux throws a DomainError (graded acceptable, reported)")
    group.addoption("--losscheck-vectors", metavar="DIR",
                    help="the golden vectors (default: $LOSSCHECK_VECTORS, else Conformance/vectors above the root)")
    group.addoption("--losscheck-timeout", type=float, default=10.0, help="seconds one case may take (adapters)")
    group.addoption("--losscheck-startup-timeout", type=float, default=120.0,
                    help="seconds an adapter may take to write its hello line")


def _options(config):
    if "options" not in _STATE:
        o = config.option
        entries = []
        for path in o.losscheck_divergences:
            entries += load_manifest(path)[1]
        _STATE["options"] = {
            "require": Tier(o.losscheck_require), "gate_extreme": o.losscheck_gate_extreme, "divergences": entries,
            "grading": GradingOptions(allow_nan_for_domain_error=o.losscheck_allow_nan_for_domain_error),
        }
    return _STATE["options"]


def _cases(config):
    if "cases" not in _STATE:
        o = config.option
        directory = o.losscheck_vectors or find_vectors(str(config.rootpath))
        vectors = load(directory)
        _STATE["directory"] = vectors.directory
        _STATE["cases"] = select(vectors.cases, loss=o.losscheck_loss, dtype=o.losscheck_dtype,
                                 regime=o.losscheck_regime, tag=o.losscheck_tag, id=o.losscheck_id)
    return _STATE["cases"]


def pytest_generate_tests(metafunc):
    if "losscheck_case" not in metafunc.fixturenames:
        return
    cases = _cases(metafunc.config)
    metafunc.parametrize("losscheck_case", cases, ids=[c.id for c in cases])


def _factory(module, config):
    """The channel factory a test module names, and a description of it for messages."""
    adapter = getattr(module, "losscheck_adapter", None)
    implementation = getattr(module, "losscheck_implementation", None)
    name = getattr(module, "losscheck_name", None) or module.__name__
    if adapter is not None:
        return CommandChannel(adapter, startup_timeout=config.option.losscheck_startup_timeout,
                              cwd=str(config.rootpath)), adapter
    if implementation is None:
        raise pytest.UsageError(
            f"{module.__name__} uses losscheck_case but defines neither losscheck_implementation nor losscheck_adapter")
    if isinstance(implementation, dict):
        request_class = getattr(module, "losscheck_request_class", None)
        return table_channel(implementation, request_class=request_class, name=name), None
    if hasattr(implementation, "start"):
        return implementation, getattr(implementation, "command", None)
    if callable(implementation):
        return InProcess(implementation, name=name), None
    raise pytest.UsageError(f"{module.__name__}.losscheck_implementation must be a dict of loss functions, a "
                            "callable of a request object, or a channel factory")


@pytest.fixture(scope="module")
def losscheck_session(request):
    """The running implementation of the test module (started once; closed after its last case)."""
    options = _options(request.config)
    factory, command = _factory(request.module, request.config)
    session = Session(factory, case_timeout=request.config.option.losscheck_timeout, grading=options["grading"])
    session.start()
    session.command = command
    key = request.module.__name__
    _STATE.setdefault("runs", {})[key] = {"session": session, "results": [], "command": command}
    yield session
    session.close()


def _message(result, options, command):
    g = result.golden
    v = result.verdict
    e = g.expectation
    params = g.request_object.get("params")
    lines = [f"{g.id} [{g.regime.value}] {g.loss} {g.dtype}, ŷ shape {g.request.yhat.shape}, "
             f"params {serialize(params) if params is not None else '(defaults)'}, n = {result.terms} terms"]
    if result.status == Status.FAULT:
        lines.append(f"  FAULT {result.fault.value}: {result.detail}")
    else:
        if e.outcome == "scalar":
            lines.append(f"  expected: {e.exact[0]}  (exact; correctly rounded to {g.dtype}: "
                         f"{spell(e.rounded(g.dtype)[0], g.dtype)})")
        else:
            lines.append(f"  expected: {result.expected}")
        lines.append(f"  answer:   {result.answer}")
        if v.ulps is not None:
            lines.append(f"  error:    {format_g(v.ulps, 3)} ulps, {format_g(v.scaled, 3)} u·S "
                         f"(stable ≤ {format_g(v.stable_bound, 3)}, acceptable ≤ {format_g(v.acceptable_bound, 3)})")
        lines.append(f"  tier:     {v.tier.value} (required: {options['require'].value})")
        lines.append(f"  note:     {v.note}")
    lines.append(f"  vector:   {g.file}:{g.line}")
    lines.append(f"  replay:   losscheck conform --adapter \"{command or '<adapter command>'}\" --id {g.id}")
    return "\n".join(lines)


def test_losscheck(losscheck_case, losscheck_session, request):
    """One golden vector, graded with the tiers of ``losscheck conform``."""
    options = _options(request.config)
    result = losscheck_session.run_case(losscheck_case)
    run = _STATE["runs"][request.module.__name__]
    run["results"].append(result)
    command = run["command"]
    if result.status == Status.UNSUPPORTED:
        pytest.skip(f"unsupported: {result.detail}")
    if result.status == Status.FAULT:
        pytest.fail(_message(result, options, command), pytrace=False)
    tier = result.verdict.tier
    meets = tier.meets(options["require"])
    entry = next((d for d in options["divergences"] if d.matches(result)), None)
    if entry is not None:
        if not meets:
            pytest.xfail(f"known divergence ({tier.value}): {entry.reason} ({entry.link})")
        return  # an unexpected pass: reported in the summary
    if meets:
        return
    if result.regime == Regime.EXTREME and not options["gate_extreme"]:
        pytest.xfail(f"extreme regime, not gated (robustness score): {tier.value}: {result.verdict.note}")
    pytest.fail(_message(result, options, command), pytrace=False)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    runs = _STATE.get("runs", {})
    if not runs:
        return
    options = _options(config)
    for module, run in runs.items():
        session = run["session"]
        evaluation = GateEvaluation(run["results"], options["require"], options["gate_extreme"],
                                    options["divergences"])
        hello = session.first_hello
        terminalreporter.write_sep("=", f"losscheck: {module}")
        text = text_summary(run["results"], evaluation, hello.implementation if hello else "",
                            run["command"] or f"in-process ({module})",
                            f"{_STATE.get('directory', '')} ({len(run['results'])} cases)", session.notes,
                            max_findings=10)
        terminalreporter.write(text)


def pytest_unconfigure(config):
    _STATE.clear()


def _default_vectors():  # for tools: where the plugin would look
    return os.environ.get("LOSSCHECK_VECTORS") or find_vectors()
