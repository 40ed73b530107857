"""The gate and the tables of a run (a port of ``GateEvaluation``, ``TierTally`` and the text summary
of ``ConformanceReport.swift``)."""

from .protocol import LOSSES
from .results import Status
from .tiers import Regime, Tier, format_g

__all__ = ["GateEvaluation", "TierTally", "tallies", "text_summary", "tier_counts"]


class GateEvaluation:
    """The verdict of a run under ``require``, ``gate_extreme`` and divergence entries.

    ``failures`` (graded cases in a gated regime below the required tier, not listed as known
    divergences), ``known`` ((result, entry index) below the tier that an entry lists),
    ``unexpected_passes``, ``stale_entries``, ``faults``, ``unsupported``, ``graded``,
    ``extreme_graded``/``extreme_meeting`` (the robustness score), ``extreme_below``,
    ``nan_for_domain_error``.
    """

    def __init__(self, results, require=Tier.ACCEPTABLE, gate_extreme=False, divergences=()):
        self.require = Tier(require)
        self.gate_extreme = gate_extreme
        self.divergences = list(divergences)
        self.failures, self.known, self.unexpected_passes = [], [], []
        self.faults, self.unsupported, self.extreme_below, self.nan_for_domain_error = [], [], [], []
        self.graded = self.extreme_graded = self.extreme_meeting = 0
        # Graded cases of the gated regimes, and how many of them are known divergences.
        self.gated_graded = self.gated_known = 0
        has_divergence = [False] * len(self.divergences)
        for result in results:
            if result.status == Status.FAULT:
                self.faults.append(result)
                continue
            if result.status == Status.UNSUPPORTED:
                self.unsupported.append(result)
                continue
            self.graded += 1
            verdict = result.verdict
            if verdict is None:
                continue
            if verdict.nan_for_domain_error:
                self.nan_for_domain_error.append(result)
            meets = verdict.tier.meets(self.require)
            gated = result.regime != Regime.EXTREME or gate_extreme
            if result.regime == Regime.EXTREME:
                self.extreme_graded += 1
                if meets:
                    self.extreme_meeting += 1
                else:
                    self.extreme_below.append(result)
            if gated:
                self.gated_graded += 1
            entry = next((i for i, e in enumerate(self.divergences) if e.matches(result)), None)
            if entry is not None:
                if meets:
                    self.unexpected_passes.append((result, entry))
                else:
                    self.known.append((result, entry))
                    has_divergence[entry] = True
                    if gated:
                        self.gated_known += 1
                continue
            if gated and not meets:
                self.failures.append(result)
        self.stale_entries = [i for i, hit in enumerate(has_divergence) if not hit]

    @property
    def passed(self):
        """PASS: every gated case meets the tier (or is a known divergence), no fault, something graded."""
        return not self.failures and not self.faults and self.graded > 0

    def exit_status(self, run_error=None):
        """0 pass; 1 a gated case below the tier, or nothing graded; 2 an adapter error."""
        if run_error is not None or self.faults:
            return 2
        return 0 if self.passed else 1

    def summary(self):
        """One sentence: the verdict and its main figures (losscheck's last line)."""
        regimes = "every regime" if self.gate_extreme else "benign and edge cases"
        parts = []
        if self.graded == 0:
            parts.append(f"no case was graded ({len(self.unsupported)} unsupported, {len(self.faults)} faults)")
        elif not self.failures:
            parts.append(f"all {self.gated_graded - self.gated_known} gated graded cases meet {self.require.value} "
                         f"on {regimes}")
        else:
            parts.append(f"{len(self.failures)} of {self.graded} graded cases are below {self.require.value} on {regimes}")
        if self.faults:
            parts.append(f"{len(self.faults)} adapter fault(s)")
        if self.known:
            parts.append(f"{len(self.known)} known divergence(s)")
        if self.unsupported:
            parts.append(f"{len(self.unsupported)} unsupported")
        if self.extreme_graded:
            parts.append(f"extreme robustness {self.extreme_meeting}/{self.extreme_graded}")
        return "; ".join(parts)


class TierTally:
    """Counts per tier and status for a group of cases (a loss × dtype row)."""

    def __init__(self):
        self.tiers = {t: 0 for t in Tier}
        self.known = self.unsupported = self.faults = 0
        self.worst = None

    def add(self, result, is_known, gated):
        if result.status == Status.UNSUPPORTED:
            self.unsupported += 1
        elif result.status == Status.FAULT:
            self.faults += 1
        elif result.verdict is not None:
            v = result.verdict
            self.tiers[v.tier] += 1
            if is_known:
                self.known += 1
            if not gated or is_known:
                return
            if self.worst is None:
                self.worst = result
            else:
                c = self.worst.verdict
                if v.tier > c.tier or (v.tier == c.tier and (v.scaled or 0) > (c.scaled or 0)):
                    self.worst = result


def tallies(results, evaluation):
    """``[(loss, dtype, TierTally)]`` in LossID order, then dtype."""
    known_ids = {r.id for r, _ in evaluation.known}
    table = {}
    for r in results:
        table.setdefault(r.loss, {}).setdefault(r.dtype, TierTally()).add(
            r, r.id in known_ids, r.regime != Regime.EXTREME or evaluation.gate_extreme)
    rows = []
    for loss in list(LOSSES) + sorted(k for k in table if k not in LOSSES):
        for dtype in ("float32", "float64"):
            if dtype in table.get(loss, {}):
                rows.append((loss, dtype, table[loss][dtype]))
    return rows


def tier_counts(results):
    """``{tier name | "unsupported" | "fault:<kind>": count}`` over a run."""
    counts = {}
    for r in results:
        if r.status == Status.GRADED and r.verdict is not None:
            key = r.verdict.tier.value
        elif r.status == Status.FAULT:
            key = f"fault:{r.fault.value}"
        else:
            key = "unsupported"
        counts[key] = counts.get(key, 0) + 1
    return counts


def _line(r):
    return f"{r.id} [{r.regime.value}] {r.verdict.tier.value if r.verdict else ''}: {r.verdict.note if r.verdict else r.detail}"


def text_summary(results, evaluation, implementation="", adapter="", source="", notes=(), max_findings=25):
    """The plain-text summary ``losscheck conform`` prints: a table of tiers per loss and dtype, the
    worst gated case per row, the findings, and the verdict."""
    out = [f"losscheck conform — {implementation}", f"adapter: {adapter}", f"cases: {source}"]
    columns = ["CR", "faith", "stable", "accept", "DIVERG", "known", "unsup", "fault"]
    out.append("loss".ljust(23) + " " + "dtype".ljust(7) + " " + "".join(c.rjust(7) for c in columns)
               + "  worst gated case (tier, ulps, u·S, id)")
    for loss, dtype, t in tallies(results, evaluation):
        counts = [t.tiers[Tier.CORRECTLY_ROUNDED], t.tiers[Tier.FAITHFUL], t.tiers[Tier.STABLE],
                  t.tiers[Tier.ACCEPTABLE], t.tiers[Tier.DIVERGENT], t.known, t.unsupported, t.faults]
        worst = ""
        if t.worst is not None:
            v = t.worst.verdict
            worst = v.tier.value
            if v.ulps is not None and v.scaled is not None:
                worst += f" {format_g(v.ulps, 3)} {format_g(v.scaled, 3)}"
            worst += f" {t.worst.id}"
        out.append(_pad(loss, 24) + _pad(dtype, 8) + "".join(_lpad(str(c), 7) for c in counts) + "  " + worst)

    def section(title, items):
        if not items:
            return
        out.append("")
        out.append(f"{title} ({len(items)}):")
        out.extend(f"  {item}" for item in items[:max_findings])
        if len(items) > max_findings:
            out.append(f"  … and {len(items) - max_findings} more (see --json/--html)")

    e = evaluation
    section(f"FAILED (below {e.require.value}, gated)", [_line(r) for r in e.failures])
    section("FAULTS (adapter errors)", [f"{r.id}: {r.fault.value}: {r.detail}" for r in e.faults])
    section("known divergences", [f"{r.id}: {e.divergences[i].reason}" for r, i in e.known])
    section(f"unexpected passes (listed as divergent, but meet {e.require.value})",
            [f"{r.id} ({e.divergences[i].selector_description})" for r, i in e.unexpected_passes])
    section("warning: stale divergence entries (they select no divergent case)",
            [f"{e.divergences[i].selector_description}: {e.divergences[i].reason}" for i in e.stale_entries])
    section(f"extreme cases below {e.require.value} ({'gated' if e.gate_extreme else 'not gated: robustness'})",
            [_line(r) for r in e.extreme_below])
    if e.unsupported:
        reasons = {}
        for r in e.unsupported:
            reasons[r.detail] = reasons.get(r.detail, 0) + 1
        section("unsupported (by reason)", [f"{n} × {reason}" for reason, n in sorted(reasons.items(), key=lambda x: -x[1])])
    section("notes", list(notes))
    out.append("")
    out.append(f"{'PASS' if e.passed else 'FAIL'}: {e.summary()}")
    return "\n".join(out) + "\n"


def _pad(s, width):
    return s + " " if len(s) >= width else s.ljust(width)


def _lpad(s, width):
    return " " + s if len(s) >= width else s.rjust(width)
