"""The bad-debt ledger of a Drift backtest: where every dollar of a bankrupt user's loss went.

Definitions (quote 1e6; the summary shows dollars):

* **bad debt** of a perp bankruptcy: the negative quote a bankrupt user's position is cleared
  of (`resolve_perp_bankruptcy`, the record's `pnl`); of a spot bankruptcy: the borrow cleared
  (`resolve_spot_bankruptcy`, `borrow_amount`, in USDC for the quote market).
* It is paid, in the order of the reference's waterfall (spec drift_insurance.md 9.2, 9.3, 9.6):
  1. **insurance fund**: the fund's payment (`if_payment`), capped by the market's
     `quote_max_insurance - quote_settled_insurance` and by the fund's vault less 1; it lands
     in the market's pnl pool, which it makes whole for the winners;
  2. **fee pool**: what the perp market's fee pool gave up (its tokens before minus after);
  3. **socialised**: the rest, charged to every open position through the cumulative funding
     rates (perp: the market's `total_social_loss` increase) or to every depositor through the
     cumulative deposit interest (spot).
  The three stages sum to the bad debt exactly; `mismatch` lists any resolution where they do
  not (none is expected).
* **pnl pool deficit**: `resolve_perp_pnl_deficit` payments from the insurance fund into a
  market's pnl pool when users are net winners beyond the pool (no single bankrupt user).

The insurance fund **ran dry** at the first time it held under EMPTY_FUND_USD after holding that
much or more (`depleted_ts`; the reference pays at most the vault less 1e-6, so a fund that pays
out all it can ends under a dollar).

A negative-equity user is **unresolved** while no keeper round clears it; `unresolved` keeps,
per user, the first time it was seen and the number of consecutive liquidation rounds since.
Source: programs/drift/src/controller/liquidation.rs::resolve_perp_bankruptcy, resolve_spot_bankruptcy
"""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["EMPTY_FUND_USD", "BadDebtLedger", "Resolution", "Unresolved", "depleted_ts"]

EMPTY_FUND_USD = 1.0


@dataclass(frozen=True)
class Resolution:
    """One bankruptcy resolution: which user, market and kind ("perp" / "spot"), at `ts`, and
    its bad debt split into the three stages (quote 1e6)."""

    ts: int
    user: str
    kind: str
    market: str
    bad_debt: int
    insurance_fund: int
    fee_pool: int
    socialised: int

    def usd(self) -> dict[str, object]:
        """The resolution as a row of summary.json's waterfall (amounts in USD)."""
        return {"ts": self.ts, "user": self.user, "kind": self.kind, "market": self.market,
                **{f"{name}_usd": getattr(self, name) / 1e6
                   for name in ("bad_debt", "insurance_fund", "fee_pool", "socialised")}}


@dataclass
class Unresolved:
    """A user with negative equity: since `first_ts`, for `rounds` keeper rounds; the worst
    equity seen (quote 1e6, negative)."""

    first_ts: int
    rounds: int = 0
    worst_equity: int = 0


@dataclass
class BadDebtLedger:
    resolutions: list[Resolution] = field(default_factory=list)
    pnl_deficit_insurance: int = 0
    unresolved: dict[str, Unresolved] = field(default_factory=dict)
    # users whose negative equity stayed unresolved longer than the limit: (user, first_ts, last_ts, rounds)
    overdue: list[tuple[str, int, int, int]] = field(default_factory=list)

    def record(self, resolution: Resolution) -> None:
        self.resolutions.append(resolution)

    def mismatches(self) -> list[Resolution]:
        """Resolutions whose three stages do not sum to the bad debt."""
        return [r for r in self.resolutions
                if r.insurance_fund + r.fee_pool + r.socialised != r.bad_debt]

    def observe(self, user: str, equity: int, ts: int, limit_rounds: int) -> None:
        """One keeper round's view of `user`: negative `equity` opens or extends its unresolved
        span; a span that reaches `limit_rounds` is recorded once in `overdue`."""
        if equity >= 0:
            self.unresolved.pop(user, None)
            return
        span = self.unresolved.get(user)
        if span is None:
            span = self.unresolved[user] = Unresolved(first_ts=ts)
        span.rounds += 1
        span.worst_equity = min(span.worst_equity, equity)
        if span.rounds == limit_rounds:
            self.overdue.append((user, span.first_ts, ts, span.rounds))

    def totals(self) -> dict[str, int]:
        """Sums over all resolutions (quote 1e6): perp and spot bad debt and each stage."""
        out = {"bad_debt": 0, "perp_bad_debt": 0, "spot_bad_debt": 0, "insurance_fund": 0, "fee_pool": 0,
               "socialised": 0, "pnl_deficit_insurance": self.pnl_deficit_insurance}
        for r in self.resolutions:
            out["bad_debt"] += r.bad_debt
            out[f"{r.kind}_bad_debt"] += r.bad_debt
            out["insurance_fund"] += r.insurance_fund
            out["fee_pool"] += r.fee_pool
            out["socialised"] += r.socialised
        return out


def depleted_ts(ts: list[int], balances_usd: list[float]) -> int | None:
    """The first of `ts` at which the fund held under EMPTY_FUND_USD after holding that much or
    more at an earlier (or the same) sample; None when it never ran dry."""
    held = False
    for t, balance in zip(ts, balances_usd, strict=True):
        held = held or balance >= EMPTY_FUND_USD
        if held and balance < EMPTY_FUND_USD:
            return t
    return None
