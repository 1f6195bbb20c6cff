"""Read-only views of the revenue pool and the insurance fund (ballast.drift.insurance_views)."""

from __future__ import annotations

import pytest

from ballast.drift.constants import ONE_HOUR, ONE_YEAR
from ballast.drift.errors import InvalidAmount, PerpMarketNotFound
from ballast.drift.exchange import Exchange
from ballast.drift.insurance_views import InsuranceFundHistory, pools
from ballast.drift.presets import GENESIS_TS, add_perp_market, fund_user
from ballast.drift.state.user import MarketType

USDC = 10**6
SOL = 10**9
PRICE = 10**6


def _exchange() -> Exchange:
    ex = Exchange()
    ex.update_clock(GENESIS_TS)
    ex.initialize_spot_market(total_if_factor=100_000, withdraw_guard_threshold=10**12)
    ex.initialize_spot_market(
        1,
        decimals=9,
        name="SOL",
        initial_asset_weight=8000,
        maintenance_asset_weight=9000,
        initial_liability_weight=12000,
        maintenance_liability_weight=11000,
        oracle_price=100 * PRICE,
        withdraw_guard_threshold=10**15,
    )
    fund_user(ex, "lender", 10_000)
    for name in ("alice", "bob"):
        fund_user(ex, name, 1)
        ex.initialize_insurance_fund_stake(name, 0)
    return ex


def _tick(ex: Exchange, seconds: int) -> None:
    ex.update_clock(ex.now + seconds)
    ex.update_oracle_price(1, 100 * PRICE, market_type=MarketType.Spot)


def test_stakes_and_unstakes_do_not_register_as_yield():
    ex = _exchange()
    ex.add_insurance_fund_stake("alice", 0, 1_000 * USDC)
    history = InsuranceFundHistory()
    history.record(ex, 0)
    _tick(ex, ONE_HOUR)
    ex.add_insurance_fund_stake("bob", 0, 3_000 * USDC)  # the vault quadruples, share price 1

    history.record(ex, 0)

    assert history.insurance_fund_apr(0, ONE_HOUR) == 0
    assert history.insurance_fund_apr_pct(0, ONE_HOUR) == 0.0


def test_yield_is_share_price_growth_annualised():
    ex = _exchange()
    ex.add_insurance_fund_stake("alice", 0, 1_000 * USDC)
    history = InsuranceFundHistory()
    start = history.record(ex, 0)
    ex.initialize_user("borrower")
    ex.deposit("borrower", 0, 1, 10 * SOL)
    ex.withdraw("borrower", 0, 0, 500 * USDC)
    _tick(ex, ONE_YEAR // 12)
    settled = ex.settle_revenue_to_insurance_fund(0)
    end = history.record(ex, 0)

    # protocol slice minted: shares grow with the fund, so a share gains only the user slice
    assert settled > 0 and end.total_shares > start.total_shares
    growth = end.vault_amount * start.total_shares - start.vault_amount * end.total_shares
    expected = (
        growth * ONE_YEAR * 10**6 // (start.vault_amount * end.total_shares * (ONE_YEAR // 12))
    )
    assert history.insurance_fund_apr(0, ONE_YEAR // 12) == expected > 0
    assert history.insurance_fund_apr_pct(0, ONE_YEAR // 12) == pytest.approx(100 * expected / 1e6)


def test_payouts_show_as_negative_yield_and_rebases_do_not():
    ex = _exchange()
    ex.add_insurance_fund_stake("alice", 0, 1_000 * USDC)
    history = InsuranceFundHistory()
    history.record(ex, 0)
    fund = ex.spot_market(0).insurance_fund
    # a payout halves the vault (as a bankruptcy would, through the controller's ledger)
    _tick(ex, ONE_HOUR)
    fund.vault_amount //= 2
    half = history.record(ex, 0)
    # a rebase (x 1/10 shares, base + 1) at the same share value is not yield
    _tick(ex, ONE_HOUR)
    fund.total_shares //= 10
    fund.user_shares //= 10
    fund.shares_base += 1
    history.record(ex, 0)

    assert half.vault_amount == 500 * USDC
    # -50% over the two hours, annualised: -0.5 x 31_536_000 / 7_200 = -2_190 (1e6 = 100%)
    assert history.insurance_fund_apr(0, 2 * ONE_HOUR) == -2_190_000_000
    assert history.insurance_fund_apr_pct(0, 2 * ONE_HOUR) == -219_000.0
    assert history.window(0, ONE_HOUR)[0] == half
    assert history.insurance_fund_apr(0, ONE_HOUR) == 0


def test_window_picks_the_latest_sample_at_or_before_its_start_and_replaces_same_ts():
    ex = _exchange()
    history = InsuranceFundHistory()
    first = history.record(ex, 0)
    _tick(ex, 10)
    history.record(ex, 0)
    ex.add_insurance_fund_stake("alice", 0, USDC)
    last = history.record(ex, 0)  # same timestamp: replaces

    assert len(history.samples(0)) == 2
    assert history.window(0, 10) == (first, last)
    assert history.window(0, 1_000) == (first, last)  # shorter history: from the first sample
    assert history.insurance_fund_apr(0, 0) == 0  # an empty window covers no time
    assert history.insurance_fund_apr(0, 10) == 0  # no shares at the start


@pytest.mark.parametrize("window", [-1, 1.5, "1"])
def test_window_rejects_bad_windows(window):
    ex = _exchange()
    history = InsuranceFundHistory()
    history.record(ex, 0)
    with pytest.raises(InvalidAmount):
        history.insurance_fund_apr_pct(0, window)


def test_unknown_market_and_time_going_backwards_are_rejected():
    ex = _exchange()
    history = InsuranceFundHistory()
    with pytest.raises(InvalidAmount, match="no insurance fund samples"):
        history.insurance_fund_apr(0, 10)
    _tick(ex, 10)
    history.record(ex, 0)
    ex.now -= 5  # a clock read out of order
    with pytest.raises(InvalidAmount, match="precedes"):
        history.record(ex, 0)


def test_pools_reads_the_perp_market_and_quote_money():
    ex = _exchange()
    add_perp_market(ex, 100)
    ex.add_insurance_fund_stake("alice", 0, 10 * USDC)
    market = ex.perp_market(0)
    market.insurance_claim.quote_max_insurance = 5 * USDC
    market.insurance_claim.quote_settled_insurance = 2 * USDC

    view = pools(ex, 0)

    claims = ex.audit().claims[0]
    assert view["pnl_pool"] == claims["perp_pnl_pools"]
    assert view["fee_pool"] == claims["perp_fee_pools"]
    assert view["quote_revenue_pool"] == claims["revenue_pool"]
    assert view["total_fee_minus_distributions"] == market.amm.total_fee_minus_distributions
    assert view["quote_max_insurance"] == 5 * USDC
    assert view["quote_insurance_remaining"] == 3 * USDC
    assert view["quote_insurance_fund_vault"] == 10 * USDC
    assert set(view) >= {
        "revenue_withdraw_since_last_settle",
        "max_revenue_withdraw_per_period",
        "quote_settled_insurance",
        "last_revenue_withdraw_ts",
        "bankruptcy_fee_pool_surplus",
    }
    with pytest.raises(PerpMarketNotFound):
        pools(ex, 7)
