"""Moving tokens between scaled spot balances and keeping the market totals in step.

A balance is a user's `SpotPosition` (deposit or borrow) or a `PoolBalance` (revenue pool, fee
pool, pnl pool), which is always deposit-type and can never turn into a borrow. Every scaled
change to a balance is mirrored in the market's `deposit_balance` / `borrow_balance`.
Token amounts are in the token's decimals; scaled balances in SPOT_BALANCE_PRECISION (1e9).

Source: programs/drift/src/controller/spot_balance.rs
"""

from __future__ import annotations

from ballast.drift.constants import (
    FIVE_MINUTE,
    IF_FACTOR_PRECISION,
    ONE_HOUR,
    ONE_MINUTE,
    SPOT_MARKET_TOKEN_TWAP_WINDOW,
    SPOT_OPERATION_UPDATE_CUMULATIVE_INTEREST,
)
from ballast.drift.errors import (
    CantUpdatePoolBalanceType,
    InvalidSpotMarketState,
    SpotMarketInsufficientDeposits,
    SpotMarketVaultInvariantViolated,
    UnequalMarketIndexForSpotTransfer,
)
from ballast.drift.math.amm import sanitize_new_price
from ballast.drift.math.spot_balance import (
    calculate_accumulated_interest,
    calculate_utilization,
    get_interest_token_amount,
    get_sanitize_clamp_denominator,
    get_spot_balance,
    get_token_amount,
)
from ballast.drift.math.stats import calculate_new_twap, calculate_weighted_average
from ballast.drift.state.oracle import OraclePriceData
from ballast.drift.state.perp_market import PoolBalance
from ballast.drift.state.spot_market import SpotBalanceType, SpotMarket
from ballast.drift.state.user import SpotPosition
from ballast.fixed import MathError, cast_i64, cast_u64, div_floor

__all__ = [
    "update_spot_market_twap_stats",
    "update_spot_market_cumulative_interest",
    "update_spot_balances",
    "transfer_spot_balances",
    "update_revenue_pool_balances",
    "validate_spot_balances",
    "validate_spot_market_vault_amount",
]

SpotBalance = SpotPosition | PoolBalance

_Deposit = SpotBalanceType.Deposit
_Borrow = SpotBalanceType.Borrow


def _balance_type(spot_balance: SpotBalance) -> SpotBalanceType:
    return spot_balance.balance_type if type(spot_balance) is SpotPosition else _Deposit


def _add_to_market(spot_market: SpotMarket, delta: int, balance_type: SpotBalanceType) -> None:
    if balance_type is _Deposit:
        spot_market.deposit_balance += delta
    else:
        spot_market.borrow_balance += delta


def _sub_from_market(spot_market: SpotMarket, delta: int, balance_type: SpotBalanceType) -> None:
    if balance_type is _Deposit:
        if delta > spot_market.deposit_balance:
            raise MathError(
                f"deposit_balance {spot_market.deposit_balance} < scaled decrease {delta}"
            )
        spot_market.deposit_balance -= delta
    else:
        if delta > spot_market.borrow_balance:
            raise MathError(
                f"borrow_balance {spot_market.borrow_balance} < scaled decrease {delta}"
            )
        spot_market.borrow_balance -= delta


def update_spot_balances(
    token_amount: int,
    update_direction: SpotBalanceType,
    spot_market: SpotMarket,
    spot_balance: SpotBalance,
    is_leaving_drift: bool,
) -> None:
    """Apply `token_amount` (>= 0, token decimals) in `update_direction` to a balance.

    Same direction as the balance: add floor(scaled) (rounded up for borrows). Opposite
    direction: first reduce the existing balance — by the scaled amount (rounded up when leaving
    Drift or for a borrow) if it holds more tokens than asked, else remove it whole — then put any
    remainder on the other side (a pool raises CantUpdatePoolBalanceType). Leaving Drift with a
    borrow requires market deposits >= borrows (SpotMarketInsufficientDeposits).

    Source: programs/drift/src/controller/spot_balance.rs::update_spot_balances
    """
    if token_amount < 0:
        raise MathError(f"update_spot_balances with negative token_amount {token_amount}")
    balance_type = _balance_type(spot_balance)
    if update_direction is balance_type:
        delta = get_spot_balance(
            token_amount, spot_market, update_direction, balance_type is _Borrow
        )
        spot_balance.scaled_balance += delta
        _add_to_market(spot_market, delta, update_direction)
    else:
        current_token_amount = get_token_amount(
            spot_balance.scaled_balance, spot_market, balance_type
        )
        if current_token_amount != 0:
            if current_token_amount > token_amount:
                delta = get_spot_balance(
                    token_amount,
                    spot_market,
                    balance_type,
                    is_leaving_drift or balance_type is _Borrow,
                )
                token_delta = token_amount
            else:
                delta = spot_balance.scaled_balance
                token_delta = current_token_amount
            if delta > spot_balance.scaled_balance:
                raise MathError(
                    f"scaled_balance {spot_balance.scaled_balance} < scaled decrease {delta}"
                )
            _sub_from_market(spot_market, delta, balance_type)
            spot_balance.scaled_balance -= delta
            token_amount -= token_delta

        if token_amount > 0:
            if type(spot_balance) is not SpotPosition:
                raise CantUpdatePoolBalanceType(
                    f"pool balance of market {spot_balance.market_index} cannot become "
                    f"{update_direction.name} for {token_amount} tokens"
                )
            spot_balance.balance_type = update_direction
            delta = get_spot_balance(
                token_amount, spot_market, update_direction, update_direction is _Borrow
            )
            spot_balance.scaled_balance += delta
            _add_to_market(spot_market, delta, update_direction)

    if is_leaving_drift and update_direction is _Borrow:
        deposit_token_amount = get_token_amount(spot_market.deposit_balance, spot_market, _Deposit)
        borrow_token_amount = get_token_amount(spot_market.borrow_balance, spot_market, _Borrow)
        if deposit_token_amount < borrow_token_amount:
            raise SpotMarketInsufficientDeposits(
                f"spot market {spot_market.market_index} deposits {deposit_token_amount} < "
                f"borrows {borrow_token_amount}"
            )


def transfer_spot_balances(
    token_amount: int,
    spot_market: SpotMarket,
    from_spot_balance: SpotBalance,
    to_spot_balance: SpotBalance,
) -> None:
    """Move a signed token amount from one balance to another in the same market.

    Positive: `from` is reduced (Borrow direction) and `to` credited (Deposit direction);
    negative reverses both; zero does nothing. A deposit-type `from` must not hold more scaled
    balance than the market's total deposits (InvalidSpotMarketState).

    Source: programs/drift/src/controller/spot_balance.rs::transfer_spot_balances
    """
    if from_spot_balance.market_index != to_spot_balance.market_index:
        raise UnequalMarketIndexForSpotTransfer(
            f"transfer from market {from_spot_balance.market_index} "
            f"to market {to_spot_balance.market_index}"
        )
    if token_amount == 0:
        return
    if (
        _balance_type(from_spot_balance) is _Deposit
        and spot_market.deposit_balance < from_spot_balance.scaled_balance
    ):
        raise InvalidSpotMarketState(
            f"spot_market.deposit_balance {spot_market.deposit_balance} lower than "
            f"individual spot balance {from_spot_balance.scaled_balance}"
        )
    amount = abs(token_amount)
    from_direction, to_direction = (_Borrow, _Deposit) if token_amount > 0 else (_Deposit, _Borrow)
    update_spot_balances(amount, from_direction, spot_market, from_spot_balance, False)
    update_spot_balances(amount, to_direction, spot_market, to_spot_balance, False)


def update_spot_market_twap_stats(
    spot_market: SpotMarket, oracle_price_data: OraclePriceData | None, now: int
) -> None:
    """Fold the current deposit/borrow token amounts and utilization into their 24h twaps and,
    given an oracle reading, the 1h and 5min oracle twaps; set last_twap_ts = now.

    The token twaps weight the new value by the seconds since last_twap_ts and the old twap by
    the rest of SPOT_MARKET_TOKEN_TWAP_WINDOW (at least 1); rounding as
    stats.calculate_weighted_average. Oracle: the price is clamped to the asset tier's band
    around the 1h twap (sanitize_new_price); last_oracle_price/conf/delay always update, the
    twaps and their ts only if the 1h twap moved or a minute has passed since last_twap_ts.
    Token amounts in token decimals, utilization 1e6, prices 1e6.

    Source: programs/drift/src/controller/spot_balance.rs::update_spot_market_twap_stats
    """
    since_last = max(0, now - spot_market.last_twap_ts)
    from_start = max(1, SPOT_MARKET_TOKEN_TWAP_WINDOW - since_last)
    deposit_token_amount = get_token_amount(spot_market.deposit_balance, spot_market, _Deposit)
    borrow_token_amount = get_token_amount(spot_market.borrow_balance, spot_market, _Borrow)
    utilization = calculate_utilization(deposit_token_amount, borrow_token_amount)
    spot_market.deposit_token_twap = _token_twap(
        deposit_token_amount, spot_market.deposit_token_twap, since_last, from_start
    )
    spot_market.borrow_token_twap = _token_twap(
        borrow_token_amount, spot_market.borrow_token_twap, since_last, from_start
    )
    spot_market.utilization_twap = _token_twap(
        utilization, spot_market.utilization_twap, since_last, from_start
    )

    if oracle_price_data is not None:
        history = spot_market.historical_oracle_data
        capped_price = sanitize_new_price(
            oracle_price_data.price,
            history.last_oracle_price_twap,
            get_sanitize_clamp_denominator(spot_market),
        )
        oracle_price_twap = calculate_new_twap(
            capped_price,
            now,
            history.last_oracle_price_twap,
            history.last_oracle_price_twap_ts,
            ONE_HOUR,
        )
        oracle_price_twap_5min = calculate_new_twap(
            capped_price,
            now,
            history.last_oracle_price_twap_5min,
            history.last_oracle_price_twap_ts,
            FIVE_MINUTE,
        )
        history.last_oracle_price = oracle_price_data.price
        history.last_oracle_conf = oracle_price_data.confidence
        history.last_oracle_delay = oracle_price_data.delay
        if oracle_price_twap != history.last_oracle_price_twap or since_last >= ONE_MINUTE:
            history.last_oracle_price_twap = oracle_price_twap
            history.last_oracle_price_twap_5min = oracle_price_twap_5min
            history.last_oracle_price_twap_ts = now

    spot_market.last_twap_ts = now


def _token_twap(current: int, twap: int, since_last: int, from_start: int) -> int:
    return cast_u64(
        calculate_weighted_average(cast_i64(current), cast_i64(twap), since_last, from_start)
    )


def update_spot_market_cumulative_interest(
    spot_market: SpotMarket, oracle_price_data: OraclePriceData | None, now: int
) -> None:
    """Accrue interest up to `now` (unix seconds), book the IF cut, then update the twap stats.

    Preconditions: the market's interest indices are initialised (1e10 = 1.0) and its
    revenue_pool carries its market_index; `now` is the instruction's clock. Call it before
    any balance change in the market (deposit, withdraw, borrow, settle, liquidation) so the
    change uses up-to-date indices; calling it twice at the same `now` only refreshes twaps.

    With UpdateCumulativeInterest paused only the twaps move. Otherwise, with (bi, di) from
    calculate_accumulated_interest and only if di > 0 and bi > 1: di_if = floor(di *
    total_factor / 1e6) is withheld from depositors and di_lend = di - di_if; if di_lend > 0,
    CDI += di_lend, CBI += bi, last_interest_ts = now, and the revenue pool is credited
    floor(deposit_balance * di_if / 10^(19-decimals)) tokens (the market's whole scaled deposit
    balance, pools included, converted at the new CDI). If di_lend == 0 (total_factor = 1e6)
    nothing is booked and last_interest_ts stays, so the elapsed time keeps accumulating.

    Source: programs/drift/src/controller/spot_balance.rs::update_spot_market_cumulative_interest
    """
    if spot_market.paused_operations & SPOT_OPERATION_UPDATE_CUMULATIVE_INTEREST:
        update_spot_market_twap_stats(spot_market, oracle_price_data, now)
        return

    borrow_interest, deposit_interest = calculate_accumulated_interest(spot_market, now)
    if deposit_interest > 0 and borrow_interest > 1:
        deposit_interest_for_stakers = div_floor(
            deposit_interest * spot_market.insurance_fund.total_factor, IF_FACTOR_PRECISION
        )
        deposit_interest_for_lenders = deposit_interest - deposit_interest_for_stakers
        if deposit_interest_for_lenders > 0:
            spot_market.cumulative_deposit_interest += deposit_interest_for_lenders
            spot_market.cumulative_borrow_interest += borrow_interest
            spot_market.last_interest_ts = now
            token_amount = get_interest_token_amount(
                spot_market.deposit_balance, spot_market, deposit_interest_for_stakers
            )
            update_revenue_pool_balances(token_amount, _Deposit, spot_market)

    update_spot_market_twap_stats(spot_market, oracle_price_data, now)


def update_revenue_pool_balances(
    token_amount: int, update_direction: SpotBalanceType, spot_market: SpotMarket
) -> None:
    """Credit (Deposit) or debit (Borrow) the market's revenue pool by `token_amount` tokens.

    Source: programs/drift/src/controller/spot_balance.rs::update_revenue_pool_balances
    """
    update_spot_balances(
        token_amount, update_direction, spot_market, spot_market.revenue_pool, False
    )


def validate_spot_balances(spot_market: SpotMarket) -> int:
    """Depositors' claim on the vault, deposit tokens - borrow tokens (token decimals, i64).

    Raises SpotMarketVaultInvariantViolated if the revenue pool holds more tokens than all
    deposits together.

    Source: programs/drift/src/math/spot_withdraw.rs::validate_spot_balances
    """
    depositors_amount = get_token_amount(spot_market.deposit_balance, spot_market, _Deposit)
    borrowers_amount = get_token_amount(spot_market.borrow_balance, spot_market, _Borrow)
    revenue_amount = get_token_amount(
        spot_market.revenue_pool.scaled_balance, spot_market, _Deposit
    )
    depositors_claim = cast_i64(depositors_amount - borrowers_amount)
    if revenue_amount > depositors_amount:
        raise SpotMarketVaultInvariantViolated(
            f"revenue_amount {revenue_amount} greater than depositors_amount {depositors_amount} "
            f"(depositors_claim {depositors_claim}, deposit_balance {spot_market.deposit_balance})"
        )
    return depositors_claim


def validate_spot_market_vault_amount(spot_market: SpotMarket, vault_amount: int) -> int:
    """Check the vault holds at least the depositors' claim; return that claim (token decimals).

    Source: programs/drift/src/math/spot_withdraw.rs::validate_spot_market_vault_amount
    """
    depositors_claim = validate_spot_balances(spot_market)
    if vault_amount < depositors_claim:
        raise SpotMarketVaultInvariantViolated(
            f"spot market {spot_market.market_index} vault_amount {vault_amount} < "
            f"depositors_claim {depositors_claim}"
        )
    return depositors_claim
