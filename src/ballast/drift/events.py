"""Typed event records, one per state change a user would want in a history.

Fields and units follow the reference's records (base 1e9, quote 1e6, price 1e6,
funding 1e9). Users are named by `(authority, sub_account_id)` as a string key "authority/id".

Source: programs/drift/src/state/events.rs
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from ballast.value_copy import copy_by_constructor


class DepositDirection(Enum):
    """Source: programs/drift/src/state/events.rs::DepositDirection"""

    Deposit = 0
    Withdraw = 1


class DepositExplanation(Enum):
    """Source: programs/drift/src/state/events.rs::DepositExplanation"""

    Nil = 0
    Transfer = 1


class OrderAction(Enum):
    """Source: programs/drift/src/state/events.rs::OrderAction"""

    Place = 0
    Cancel = 1
    Fill = 2
    Trigger = 3
    Expire = 4


class OrderActionExplanation(Enum):
    """Source: programs/drift/src/state/events.rs::OrderActionExplanation"""

    Nil = 0
    InsufficientFreeCollateral = 1
    OraclePriceBreachedLimitPrice = 2
    MarketOrderFilledToLimitPrice = 3
    OrderExpired = 4
    Liquidation = 5
    OrderFilledWithAMM = 6
    OrderFilledWithAMMJit = 7
    OrderFilledWithMatch = 8
    OrderFilledWithMatchJit = 9
    MarketExpired = 10
    RiskingIncreasingOrder = 11
    ReduceOnlyOrderIncreasedPosition = 12
    OrderFillWithSerum = 13
    NoBorrowLiquidity = 14
    OrderFillWithPhoenix = 15
    OrderFilledWithAMMJitLPSplit = 16
    OrderFilledWithLPJit = 17
    DeriskLp = 18
    OrderFilledWithOpenbookV2 = 19
    TransferPerpPosition = 20


class LiquidationType(Enum):
    """Source: programs/drift/src/state/events.rs::LiquidationType"""

    LiquidatePerp = 0
    LiquidateSpot = 1
    LiquidateBorrowForPerpPnl = 2
    LiquidatePerpPnlForDeposit = 3
    PerpBankruptcy = 4
    SpotBankruptcy = 5


class LPAction(Enum):
    """Source: programs/drift/src/state/events.rs::LPAction"""

    AddLiquidity = 0
    RemoveLiquidity = 1
    SettleLiquidity = 2
    RemoveLiquidityDerisk = 3


@dataclass(slots=True, frozen=True)
class NewUserRecord:
    """Source: programs/drift/src/state/events.rs::NewUserRecord"""

    ts: int
    user: str
    sub_account_id: int


@dataclass(slots=True, frozen=True)
class DepositRecord:
    """Source: programs/drift/src/state/events.rs::DepositRecord (amount in the token's decimals)."""

    ts: int
    user: str
    direction: DepositDirection
    amount: int
    market_index: int
    oracle_price: int
    explanation: DepositExplanation = DepositExplanation.Nil
    transfer_user: str | None = None


@dataclass(slots=True, init=False)
class OrderRecord:
    """A placed order. Source: programs/drift/src/state/events.rs::OrderRecord"""

    ts: int
    user: str
    order_id: int
    market_index: int
    direction: str
    order_type: str
    base_asset_amount: int
    price: int

    # written out (not dataclass-generated) so that mypyc compiles it; a value: never
    # mutated after construction (not `frozen`, whose __init__ mypyc cannot compile)
    def __init__(
        self,
        ts: int,
        user: str,
        order_id: int,
        market_index: int,
        direction: str,
        order_type: str,
        base_asset_amount: int,
        price: int,
    ) -> None:
        self.ts = ts
        self.user = user
        self.order_id = order_id
        self.market_index = market_index
        self.direction = direction
        self.order_type = order_type
        self.base_asset_amount = base_asset_amount
        self.price = price


@dataclass(slots=True, init=False)
class OrderActionRecord:
    """A cancel, fill or expiry. Source: programs/drift/src/state/events.rs::OrderActionRecord"""

    ts: int
    action: OrderAction
    action_explanation: OrderActionExplanation
    market_index: int
    fill_record_id: int | None = None
    base_asset_amount_filled: int | None = None
    quote_asset_amount_filled: int | None = None
    taker_fee: int | None = None
    maker_fee: int | None = None
    quote_asset_amount_surplus: int | None = None
    taker: str | None = None
    taker_order_id: int | None = None
    taker_order_direction: str | None = None
    maker: str | None = None
    maker_order_id: int | None = None
    maker_order_direction: str | None = None
    oracle_price: int = 0
    market_type: str = "Perp"  # MarketType name: "Perp" or "Spot"

    # written out (not dataclass-generated) so that mypyc compiles it; a value: never
    # mutated after construction (not `frozen`, whose __init__ mypyc cannot compile)
    def __init__(
        self,
        ts: int,
        action: OrderAction,
        action_explanation: OrderActionExplanation,
        market_index: int,
        fill_record_id: int | None = None,
        base_asset_amount_filled: int | None = None,
        quote_asset_amount_filled: int | None = None,
        taker_fee: int | None = None,
        maker_fee: int | None = None,
        quote_asset_amount_surplus: int | None = None,
        taker: str | None = None,
        taker_order_id: int | None = None,
        taker_order_direction: str | None = None,
        maker: str | None = None,
        maker_order_id: int | None = None,
        maker_order_direction: str | None = None,
        oracle_price: int = 0,
        market_type: str = "Perp",
    ) -> None:
        self.ts = ts
        self.action = action
        self.action_explanation = action_explanation
        self.market_index = market_index
        self.fill_record_id = fill_record_id
        self.base_asset_amount_filled = base_asset_amount_filled
        self.quote_asset_amount_filled = quote_asset_amount_filled
        self.taker_fee = taker_fee
        self.maker_fee = maker_fee
        self.quote_asset_amount_surplus = quote_asset_amount_surplus
        self.taker = taker
        self.taker_order_id = taker_order_id
        self.taker_order_direction = taker_order_direction
        self.maker = maker
        self.maker_order_id = maker_order_id
        self.maker_order_direction = maker_order_direction
        self.oracle_price = oracle_price
        self.market_type = market_type


@dataclass(slots=True, frozen=True)
class FundingRateRecord:
    """Source: programs/drift/src/state/events.rs::FundingRateRecord"""

    ts: int
    record_id: int
    market_index: int
    funding_rate: int
    funding_rate_long: int
    funding_rate_short: int
    cumulative_funding_rate_long: int
    cumulative_funding_rate_short: int
    oracle_price_twap: int
    mark_price_twap: int
    period_revenue: int
    base_asset_amount_with_amm: int
    base_asset_amount_with_unsettled_lp: int


@dataclass(slots=True, frozen=True)
class FundingPaymentRecord:
    """Source: programs/drift/src/state/events.rs::FundingPaymentRecord"""

    ts: int
    user: str
    market_index: int
    funding_payment: int
    base_asset_amount: int
    user_last_cumulative_funding: int
    amm_cumulative_funding_long: int
    amm_cumulative_funding_short: int


@dataclass(slots=True, frozen=True)
class SettlePnlRecord:
    """Source: programs/drift/src/state/events.rs::SettlePnlRecord"""

    ts: int
    user: str
    market_index: int
    pnl: int
    base_asset_amount: int
    quote_asset_amount_after: int
    quote_entry_amount: int
    settle_price: int


@dataclass(slots=True, frozen=True)
class LiquidationRecord:
    """A liquidation: the LiquidationRecord with its per-type records flattened into it (unused
    fields stay 0).

    Source: programs/drift/src/state/events.rs::LiquidationRecord, LiquidatePerpRecord,
    LiquidateSpotRecord, LiquidateBorrowForPerpPnlRecord, LiquidatePerpPnlForDepositRecord,
    PerpBankruptcyRecord, SpotBankruptcyRecord
    """

    ts: int
    liquidation_type: LiquidationType
    user: str
    liquidator: str
    market_index: int
    margin_requirement: int
    total_collateral: int
    margin_freed: int
    liquidation_id: int
    bankrupt: bool
    canceled_order_ids: tuple[int, ...] = ()
    oracle_price: int = 0
    base_asset_amount: int = 0
    quote_asset_amount: int = 0
    lp_shares: int = 0
    liquidator_fee: int = 0
    if_fee: int = 0
    # LiquidateSpotRecord / LiquidateBorrowForPerpPnlRecord / LiquidatePerpPnlForDepositRecord
    # (market_index is the perp market; oracle_price its oracle; if_fee the spot IF fee tokens)
    asset_market_index: int = 0
    asset_price: int = 0
    asset_transfer: int = 0
    liability_market_index: int = 0
    liability_price: int = 0
    liability_transfer: int = 0
    pnl_transfer: int = 0
    # PerpBankruptcyRecord (pnl: the cleared quote, 1e6; delta: funding rate 1e9) and
    # SpotBankruptcyRecord (market_index is the spot market; borrow tokens; delta 1e10)
    if_payment: int = 0
    pnl: int = 0
    cumulative_funding_rate_delta: int = 0
    borrow_amount: int = 0
    cumulative_deposit_interest_delta: int = 0


@dataclass(slots=True, frozen=True)
class LPRecord:
    """Source: programs/drift/src/state/events.rs::LPRecord"""

    ts: int
    user: str
    action: LPAction
    n_shares: int
    market_index: int
    delta_base_asset_amount: int
    delta_quote_asset_amount: int
    pnl: int


class StakeAction(Enum):
    """Source: programs/drift/src/state/events.rs::StakeAction"""

    Stake = 0
    UnstakeRequest = 1
    UnstakeCancelRequest = 2
    Unstake = 3
    UnstakeTransfer = 4
    StakeTransfer = 5


@dataclass(slots=True, frozen=True)
class InsuranceFundRecord:
    """Revenue settled into (amount > 0) or paid out of (amount < 0) an insurance fund vault.

    Amounts in the spot market's token decimals; factors in IF_FACTOR_PRECISION (1e6).
    Source: programs/drift/src/state/events.rs::InsuranceFundRecord
    """

    ts: int
    spot_market_index: int
    perp_market_index: int
    user_if_factor: int
    total_if_factor: int
    vault_amount_before: int
    insurance_vault_amount_before: int
    total_if_shares_before: int
    total_if_shares_after: int
    amount: int


@dataclass(slots=True, frozen=True)
class InsuranceFundStakeRecord:
    """A stake, unstake request, cancel or unstake (amount in the token's decimals).

    Source: programs/drift/src/state/events.rs::InsuranceFundStakeRecord
    """

    ts: int
    user_authority: str
    action: StakeAction
    amount: int
    market_index: int
    insurance_vault_amount_before: int
    if_shares_before: int
    user_if_shares_before: int
    total_if_shares_before: int
    if_shares_after: int
    user_if_shares_after: int
    total_if_shares_after: int


@dataclass(slots=True, frozen=True)
class SpotInterestRecord:
    """A spot market's interest indices after an accrual (balances scaled 1e9, indices 1e10,
    rates and utilization 1e6). Source: programs/drift/src/state/events.rs::SpotInterestRecord"""

    ts: int
    market_index: int
    deposit_balance: int
    cumulative_deposit_interest: int
    borrow_balance: int
    cumulative_borrow_interest: int
    optimal_utilization: int
    optimal_borrow_rate: int
    max_borrow_rate: int


@dataclass(slots=True, frozen=True)
class SwapRecord:
    """A swap through begin_swap/end_swap: amounts in each token's decimals, oracle prices 1e6,
    fee in the out token (zero at the pinned commit). Source: programs/drift/src/state/events.rs::SwapRecord"""

    ts: int
    user: str
    amount_out: int
    amount_in: int
    out_market_index: int
    in_market_index: int
    out_oracle_price: int
    in_oracle_price: int
    fee: int


copy_by_constructor(
    NewUserRecord,
    DepositRecord,
    OrderRecord,
    OrderActionRecord,
    FundingRateRecord,
    FundingPaymentRecord,
    SettlePnlRecord,
    LiquidationRecord,
    LPRecord,
    InsuranceFundRecord,
    InsuranceFundStakeRecord,
    SpotInterestRecord,
    SwapRecord,
)
