"""What a staker and a market page see of the revenue pool and the insurance fund: read-only
views over an `Exchange`.

* `pools`: a perp market's money — its pnl pool, fee pool, AMM budget
  (`total_fee_minus_distributions`), its insurance claim on the quote fund, the quote market's
  revenue pool and insurance fund vault.
* `InsuranceFundHistory`: samples of a spot market's insurance fund (vault balance, share count
  and share base) and the fund's annualised yield over a window, measured on the value of ONE
  share so that stakes, unstakes and rebases do not register as yield.

Nothing here mutates the exchange. Units: token amounts in the spot market's decimals (USDC
1e6), quote 1e6, timestamps in unix seconds. Integers throughout; floats only in the reported
percentages.

Source: programs/drift/src/state/spot_market.rs::InsuranceFund,
programs/drift/src/state/perp_market.rs::PerpMarket, InsuranceClaim,
programs/drift/src/math/insurance.rs (share value)
"""

from __future__ import annotations

from dataclasses import dataclass

from ballast.drift.constants import PERCENTAGE_PRECISION
from ballast.drift.errors import InvalidAmount
from ballast.drift.exchange import Exchange
from ballast.drift.math.insurance import calculate_insurance_fund_apr
from ballast.drift.math.spot_balance import get_token_amount
from ballast.drift.state.spot_market import SpotBalanceType

__all__ = ["pools", "InsuranceFundSample", "InsuranceFundHistory"]


def pools(exchange: Exchange, perp_market_index: int) -> dict[str, int]:
    """The money of perp market `perp_market_index` and of its quote spot market.

    Returns a dict of integers:

    * `pnl_pool`, `fee_pool`: token amounts (quote 1e6, deposit rounding: floored) of the
      market's pnl pool and AMM fee pool;
    * `total_fee_minus_distributions`, `total_fee_withdrawn`, `total_social_loss`,
      `total_liquidation_fee`, `bankruptcy_fee_pool_surplus` (the fee-pool tokens bankruptcies
      took with no matching credit): the AMM's books (quote 1e6);
    * the insurance claim: `revenue_withdraw_since_last_settle`,
      `max_revenue_withdraw_per_period`, `quote_max_insurance`, `quote_settled_insurance`,
      `last_revenue_withdraw_ts` (s), and `quote_insurance_remaining = quote_max_insurance -
      quote_settled_insurance` (what the fund may still pay this market);
    * `quote_revenue_pool`: the quote spot market's revenue pool in tokens (floored) and
      `quote_insurance_fund_vault`: its insurance fund vault balance.

    Raises PerpMarketNotFound / SpotMarketNotFound for unknown markets.
    """
    market = exchange.perp_market(perp_market_index)
    quote_market = exchange.spot_market(market.quote_spot_market_index)
    deposit = SpotBalanceType.Deposit
    amm = market.amm
    claim = market.insurance_claim
    return {
        "pnl_pool": get_token_amount(market.pnl_pool.scaled_balance, quote_market, deposit),
        "fee_pool": get_token_amount(amm.fee_pool.scaled_balance, quote_market, deposit),
        "total_fee_minus_distributions": amm.total_fee_minus_distributions,
        "total_fee_withdrawn": amm.total_fee_withdrawn,
        "total_social_loss": amm.total_social_loss,
        "total_liquidation_fee": amm.total_liquidation_fee,
        "bankruptcy_fee_pool_surplus": market.bankruptcy_fee_pool_surplus,
        "revenue_withdraw_since_last_settle": claim.revenue_withdraw_since_last_settle,
        "max_revenue_withdraw_per_period": claim.max_revenue_withdraw_per_period,
        "quote_max_insurance": claim.quote_max_insurance,
        "quote_settled_insurance": claim.quote_settled_insurance,
        "quote_insurance_remaining": claim.quote_max_insurance - claim.quote_settled_insurance,
        "last_revenue_withdraw_ts": claim.last_revenue_withdraw_ts,
        "quote_revenue_pool": get_token_amount(
            quote_market.revenue_pool.scaled_balance, quote_market, deposit
        ),
        "quote_insurance_fund_vault": quote_market.insurance_fund.vault_amount,
    }


@dataclass(slots=True, frozen=True)
class InsuranceFundSample:
    """One sample of a spot market's insurance fund at `ts` (unix seconds): the vault balance
    (token decimals), the total share count and the shares' decimal base (a share counted in
    base `b` is worth `10^b` base-0 shares)."""

    ts: int
    vault_amount: int
    total_shares: int
    shares_base: int


class InsuranceFundHistory:
    """Samples of each spot market's insurance fund and its yield to a staker.

    The yield is that of ONE share: its value is `vault_amount / (total_shares x
    10^shares_base)` tokens, so

    * stakes and unstakes (which mint or burn shares at the current price) leave it unchanged,
    * rebases (which divide the share count by `10^k` and add `k` to the base) leave it
      unchanged,
    * revenue settled to the fund raises it (less the protocol's slice, minted as new shares),
    * bankruptcy and pnl-deficit payouts lower it.

    `insurance_fund_apr_pct` annualises its simple (not compounded) growth on a 365-day year
    (`math.insurance.calculate_insurance_fund_apr`).

    Samples are keyed by `exchange.now`: recording twice at one timestamp replaces the sample;
    time may not go backwards (InvalidAmount).
    """

    def __init__(self) -> None:
        self._samples: dict[int, list[InsuranceFundSample]] = {}

    def record(self, exchange: Exchange, market_index: int) -> InsuranceFundSample:
        """Sample spot market `market_index`'s fund at `exchange.now`; return the sample."""
        fund = exchange.spot_market(market_index).insurance_fund
        samples = self._samples.setdefault(market_index, [])
        now = exchange.now
        if samples and now < samples[-1].ts:
            raise InvalidAmount(
                f"insurance fund sample at {now} precedes the last sample of spot market "
                f"{market_index} at {samples[-1].ts}"
            )
        if samples and samples[-1].ts == now:
            samples.pop()
        sample = InsuranceFundSample(
            ts=now,
            vault_amount=fund.vault_amount,
            total_shares=fund.total_shares,
            shares_base=fund.shares_base,
        )
        samples.append(sample)
        return sample

    def samples(self, market_index: int) -> tuple[InsuranceFundSample, ...]:
        """The market's samples, oldest first."""
        return tuple(self._samples.get(market_index, ()))

    def window(
        self, market_index: int, window_seconds: int
    ) -> tuple[InsuranceFundSample, InsuranceFundSample]:
        """(start, end) samples of the last `window_seconds`: `end` is the latest sample and
        `start` the latest sample at or before `end.ts - window_seconds` (the first sample when
        the history is shorter). Raises InvalidAmount for a negative or non-integer window or a
        market without samples."""
        if (
            not isinstance(window_seconds, int)
            or isinstance(window_seconds, bool)
            or window_seconds < 0
        ):
            raise InvalidAmount(
                f"window_seconds must be a non-negative integer, got {window_seconds!r}"
            )
        samples = self._samples.get(market_index)
        if not samples:
            raise InvalidAmount(
                f"no insurance fund samples recorded for spot market {market_index}"
            )
        end = samples[-1]
        start = samples[0]
        for sample in reversed(samples):
            if sample.ts <= end.ts - window_seconds:
                start = sample
                break
        return start, end

    def insurance_fund_apr(self, market_index: int, window_seconds: int) -> int:
        """The fund's annualised share-value growth over the window (see `window`) in
        PERCENTAGE_PRECISION (1e6 = 100% a year), truncated toward zero; 0 when the window
        covers no time, or a share's value is undefined (no shares) at either end or zero at
        the start."""
        start, end = self.window(market_index, window_seconds)
        covered = end.ts - start.ts
        if covered == 0:
            return 0
        return calculate_insurance_fund_apr(
            start.vault_amount,
            start.total_shares,
            start.shares_base,
            end.vault_amount,
            end.total_shares,
            end.shares_base,
            covered,
        )

    def insurance_fund_apr_pct(self, market_index: int, window_seconds: int) -> float:
        """`insurance_fund_apr` in percent a year (100.0 = the fund's share value doubles in a
        year at that pace); negative when payouts outweighed revenue."""
        return 100.0 * self.insurance_fund_apr(market_index, window_seconds) / PERCENTAGE_PRECISION
