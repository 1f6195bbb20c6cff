"""Scenario market presets (MarketConfig `preset`, BOOTSTRAP_PRESET, MarketOverrides, CurieParams
`preset`) and the scenario checks that refuse a configuration which would silently do nothing."""

from __future__ import annotations

import dataclasses
import re
import tomllib

import pytest

from ballast.curie.market_presets import CURIE_MARKET_PRESETS
from ballast.drift.market_presets import PERP_MARKET_EXTRAS, PERP_MARKET_PRESETS, PerpMarketPreset
from ballast.sim.loading import dump_scenario, load_scenario, parse_scenario
from ballast.sim.scenario import (
    BOOTSTRAP_PRESET,
    CurieParams,
    MarketOverrides,
    ScenarioError,
)

NOISE = {"kind": "noise_taker", "name": "n"}
# every engine key a Drift preset supplies (all PerpMarketPreset fields but its name and price)
ENGINE_KEYS = [
    f.name
    for f in dataclasses.fields(PerpMarketPreset)
    if f.name not in ("name", "start_price_usd")
]
KNOWN_DRIFT_PRESETS = ["drift/bootstrap"] + [f"drift/{m}" for m in PERP_MARKET_PRESETS]


def _scenario(**data):
    """A valid scenario mapping: one noise taker unless `agents` is given."""
    return {"agents": [NOISE], **data}


def _only_market(**market):
    return parse_scenario(_scenario(markets=[market])).markets[0]


# --- Drift market presets ---------------------------------------------------------------------


@pytest.mark.parametrize("key", ENGINE_KEYS)
def test_market_named_sol_perp_without_keys_takes_each_engine_key_from_the_sol_preset(key):
    preset = PERP_MARKET_PRESETS["SOL-PERP"]

    market = _only_market(name="SOL-PERP")

    assert getattr(market, key) == getattr(preset, key)


def test_market_named_sol_perp_takes_its_concentration_scale_from_the_extras():
    market = _only_market(name="SOL-PERP")

    assert (
        market.concentration_coef_scale == PERP_MARKET_EXTRAS["SOL-PERP"].concentration_coef_scale
    )


def test_market_without_preset_key_records_the_preset_of_its_name():
    market = _only_market(name="SOL-PERP")

    assert market.preset == "drift/SOL-PERP"


def test_market_named_btc_perp_takes_the_btc_preset():
    btc = PERP_MARKET_PRESETS["BTC-PERP"]
    sol = PERP_MARKET_PRESETS["SOL-PERP"]
    # the comparison below tells the two presets apart
    assert btc.base_liquidity_base != sol.base_liquidity_base

    scenario = parse_scenario(
        {"markets": [{"name": "BTC-PERP"}], "agents": [{**NOISE, "market": "BTC-PERP"}]}
    )

    assert scenario.markets[0].base_liquidity_base == btc.base_liquidity_base


def test_key_given_in_the_scenario_overrides_the_preset_value():
    market = _only_market(name="SOL-PERP", base_spread=2_000)

    assert market.base_spread == 2_000


def test_key_given_in_the_scenario_leaves_every_other_preset_value():
    preset = PERP_MARKET_PRESETS["SOL-PERP"]

    market = _only_market(name="SOL-PERP", base_spread=2_000)

    others = {key: getattr(market, key) for key in ENGINE_KEYS if key != "base_spread"}
    assert others == {key: getattr(preset, key) for key in ENGINE_KEYS if key != "base_spread"}


def test_bootstrap_preset_switches_the_curve_updates_off():
    scenario = parse_scenario(
        {
            "markets": [{"name": "TEST-PERP", "preset": "drift/bootstrap"}],
            "agents": [{**NOISE, "market": "TEST-PERP"}],
        }
    )

    assert scenario.markets[0].curve_update_intensity == 0


def test_bootstrap_preset_fills_every_engine_key_from_bootstrap_preset():
    scenario = parse_scenario(
        {
            "markets": [{"name": "TEST-PERP", "preset": "drift/bootstrap"}],
            "agents": [{**NOISE, "market": "TEST-PERP"}],
        }
    )

    market = scenario.markets[0]
    assert {k: getattr(market, k) for k in ENGINE_KEYS} == {
        k: getattr(BOOTSTRAP_PRESET, k) for k in ENGINE_KEYS
    }


def test_explicit_preset_wins_over_the_market_name():
    market = _only_market(name="SOL-PERP", preset="drift/bootstrap")

    assert market.base_liquidity_base == BOOTSTRAP_PRESET.base_liquidity_base


def test_gbm_oracle_without_start_price_starts_at_the_preset_price():
    market = _only_market(name="SOL-PERP", oracle={"kind": "gbm", "drift_annual_pct": 5.0})

    assert market.oracle.start_price_usd == PERP_MARKET_PRESETS["SOL-PERP"].start_price_usd


def test_default_oracle_starts_at_the_preset_price():
    market = _only_market(name="SOL-PERP")

    assert market.oracle.start_price_usd == PERP_MARKET_PRESETS["SOL-PERP"].start_price_usd


def test_gbm_oracle_with_start_price_keeps_the_given_price():
    market = _only_market(name="SOL-PERP", oracle={"kind": "gbm", "start_price_usd": 42.5})

    assert market.oracle.start_price_usd == 42.5


def test_unknown_preset_is_an_error_naming_the_market_key_path():
    data = _scenario(markets=[{"name": "SOL-PERP", "preset": "drift/DOGE-PERP"}])

    with pytest.raises(ScenarioError, match=r"markets\.0\b.*'drift/DOGE-PERP'"):
        parse_scenario(data)


def test_unknown_preset_error_lists_every_known_preset():
    data = _scenario(markets=[{"name": "SOL-PERP", "preset": "drift/DOGE-PERP"}])

    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)

    assert [p for p in KNOWN_DRIFT_PRESETS if p not in str(caught.value)] == []


def test_unknown_preset_on_the_second_market_names_markets_1():
    data = {
        "markets": [{"name": "SOL-PERP"}, {"name": "X-PERP", "preset": "SOL-PERP"}],
        "agents": [NOISE],
    }

    with pytest.raises(ScenarioError, match=r"markets\.1\b.*'SOL-PERP'"):
        parse_scenario(data)


def test_market_name_without_preset_and_no_preset_key_is_an_error_naming_the_key_path():
    data = {"markets": [{"name": "DOGE-PERP"}], "agents": [{**NOISE, "market": "DOGE-PERP"}]}

    with pytest.raises(ScenarioError, match=r"markets\.0\b.*'DOGE-PERP'"):
        parse_scenario(data)


def test_market_name_without_preset_error_lists_every_known_preset():
    data = {"markets": [{"name": "DOGE-PERP"}], "agents": [{**NOISE, "market": "DOGE-PERP"}]}

    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)

    assert [p for p in KNOWN_DRIFT_PRESETS if p not in str(caught.value)] == []


@pytest.mark.parametrize(
    ("market", "message"),
    [
        (
            {"margin_ratio_initial": 500, "margin_ratio_maintenance": 500},
            r"margin_ratio_maintenance 500 must be below margin_ratio_initial 500",
        ),
        (
            {"margin_ratio_initial": 1000, "margin_ratio_maintenance": 1200},
            r"margin_ratio_maintenance 1200 must be below margin_ratio_initial 1000",
        ),
        (
            {"order_step_size": 100_000_000, "min_order_size": 50_000_000},
            r"min_order_size 50000000 must be at least order_step_size 100000000",
        ),
        (
            {
                "unrealized_pnl_initial_asset_weight": 6000,
                "unrealized_pnl_maintenance_asset_weight": 5000,
            },
            r"unrealized_pnl_initial_asset_weight 6000 must not exceed unrealized_pnl_maintenance_asset_weight 5000",
        ),
    ],
    ids=[
        "maintenance_equals_initial",
        "maintenance_above_initial",
        "min_order_below_step",
        "unrealized_initial_above_maintenance",
    ],
)
def test_inconsistent_market_values_are_an_error_naming_the_values(market, message):
    data = _scenario(markets=[{"name": "SOL-PERP", **market}])

    with pytest.raises(ScenarioError, match=rf"markets\.0\b.*{message}"):
        parse_scenario(data)


def test_preset_that_is_not_a_string_is_an_error():
    with pytest.raises(ScenarioError, match=r"markets\.0\b.*preset must be a string.*42"):
        parse_scenario(_scenario(markets=[{"name": "SOL-PERP", "preset": 42}]))


# --- the resolved scenario --------------------------------------------------------------------


def test_dumped_resolved_scenario_reloads_to_an_equal_scenario():
    scenario = parse_scenario(
        {
            "duration_days": 2.0,
            "markets": [
                {"name": "SOL-PERP", "base_spread": 2_000, "lp_fee_slice": [1, 2]},
                {
                    "name": "TEST-PERP",
                    "preset": "drift/bootstrap",
                    "oracle": {
                        "kind": "gbm",
                        "start_price_usd": 50.0,
                        "regimes": [{}, {"start_day": 1.0}],
                    },
                },
            ],
            "venues": [
                {"name": "drift", "market_overrides": {"SOL-PERP": {"max_spread": 20_000}}},
                {"name": "curie", "kind": "curie", "curie": {"exchange_fee_ratio": 500}},
            ],
            "agents": [NOISE, {"kind": "bal_provider", "name": "b", "amount_usd": 1_000.0}],
        }
    )

    reloaded = parse_scenario(tomllib.loads(dump_scenario(scenario)))

    assert reloaded == scenario


def test_dumped_scenario_names_every_engine_key_of_a_market():
    scenario = parse_scenario(_scenario())

    dumped = tomllib.loads(dump_scenario(scenario))

    assert [
        key
        for key in (*ENGINE_KEYS, "preset", "concentration_coef_scale")
        if key not in dumped["markets"][0]
    ] == []


# --- per-venue market overrides ---------------------------------------------------------------


def test_market_overrides_accept_every_engine_key():
    changes = {key: getattr(BOOTSTRAP_PRESET, key) for key in ENGINE_KEYS}
    changes.update(concentration_coef_scale=3, initial_fee_pool_usd=7.0, per_lp_base=2, lp_fee_slice=(1, 2))
    assert set(changes) == set(MarketOverrides.model_fields)  # the test covers every override key
    scenario = parse_scenario(
        _scenario(venues=[{"name": "drift", "market_overrides": {"SOL-PERP": changes}}])
    )

    market = scenario.market_for(scenario.venues[0], scenario.markets[0])

    assert {key: getattr(market, key) for key in changes} == changes


def test_market_override_changes_only_its_venue():
    scenario = parse_scenario(
        _scenario(
            venues=[
                {"name": "a", "market_overrides": {"SOL-PERP": {"base_spread": 3_000}}},
                {"name": "b"},
            ]
        )
    )

    spreads = [scenario.market_for(v, scenario.markets[0]).base_spread for v in scenario.venues]

    assert spreads == [3_000, PERP_MARKET_PRESETS["SOL-PERP"].base_spread]


def test_market_override_with_a_bad_contract_tier_is_an_error_naming_it():
    data = _scenario(
        venues=[{"name": "drift", "market_overrides": {"SOL-PERP": {"contract_tier": "Z"}}}]
    )

    with pytest.raises(
        ScenarioError, match=r"venues\.0\.market_overrides\.SOL-PERP\.contract_tier = 'Z'"
    ):
        parse_scenario(data)


def test_market_override_with_a_value_out_of_range_is_an_error_naming_it():
    data = _scenario(
        venues=[
            {"name": "drift", "market_overrides": {"SOL-PERP": {"curve_update_intensity": 201}}}
        ]
    )

    with pytest.raises(
        ScenarioError, match=r"venues\.0\.market_overrides\.SOL-PERP\.curve_update_intensity = 201"
    ):
        parse_scenario(data)


def test_market_override_with_an_unknown_key_is_an_error_naming_it():
    data = _scenario(venues=[{"name": "drift", "market_overrides": {"SOL-PERP": {"oracle": {}}}}])

    with pytest.raises(
        ScenarioError, match=r"venues\.0\.market_overrides\.SOL-PERP\.oracle: unknown key"
    ):
        parse_scenario(data)


def test_market_override_leaving_maintenance_above_initial_margin_is_an_error():
    data = _scenario(
        venues=[
            {"name": "drift", "market_overrides": {"SOL-PERP": {"margin_ratio_maintenance": 3_000}}}
        ]
    )

    with pytest.raises(ScenarioError, match=r"margin_ratio_maintenance 3000"):
        parse_scenario(data)


def test_market_override_with_a_bad_lp_fee_slice_is_an_error():
    data = _scenario(
        venues=[{"name": "drift", "market_overrides": {"SOL-PERP": {"lp_fee_slice": [5, 2]}}}]
    )

    with pytest.raises(ScenarioError, match=r"lp_fee_slice"):
        parse_scenario(data)


# --- Curie presets ----------------------------------------------------------------------------


def test_curie_params_default_to_the_vsol_preset():
    params = CurieParams()

    assert params.preset == "curie/vSOL"


@pytest.mark.parametrize("key", sorted(CURIE_MARKET_PRESETS["vSOL"].curie_params()))
def test_curie_params_default_values_are_the_vsol_preset_values(key):
    params = CurieParams()

    assert getattr(params, key) == CURIE_MARKET_PRESETS["vSOL"].curie_params()[key]


def test_curie_venue_without_parameters_uses_the_vsol_preset():
    scenario = parse_scenario(_scenario(venues=[{"name": "c", "kind": "curie"}]))

    assert scenario.venues[0].curie_params == CurieParams(preset="curie/vSOL")


def test_curie_override_applies_and_leaves_the_other_preset_values():
    expected = {**CURIE_MARKET_PRESETS["vSOL"].curie_params(), "exchange_fee_ratio": 500}

    params = CurieParams(exchange_fee_ratio=500)

    assert {key: getattr(params, key) for key in expected} == expected


def test_unknown_curie_preset_is_an_error_listing_the_known_presets():
    data = _scenario(venues=[{"name": "c", "kind": "curie", "curie": {"preset": "curie/vDOGE"}}])

    with pytest.raises(ScenarioError) as caught:
        parse_scenario(data)

    message = str(caught.value)
    assert re.search(r"venues\.0\.curie\b.*'curie/vDOGE'", message)
    assert [m for m in CURIE_MARKET_PRESETS if f"curie/{m}" not in message] == []


# --- no silent no-ops -------------------------------------------------------------------------


def test_empty_scenario_file_is_an_error_naming_the_file(tmp_path):
    path = tmp_path / "empty.toml"
    path.write_text("")

    with pytest.raises(ScenarioError, match=r"empty\.toml is empty.*\[\[agents\]\]"):
        load_scenario(path)


def test_scenario_without_agents_is_an_error_naming_the_agents_key():
    with pytest.raises(ScenarioError, match=r"agents: the scenario has no agents"):
        parse_scenario({})


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        (
            {
                "agents": [
                    {"kind": "bal_provider", "name": "b", "amount_usd": 100.0, "enter_at_day": 1.0}
                ]
            },
            r"agents\.0 \(b\)\.enter_at_day = 1: not before the end of the run \(duration_days 1\)",
        ),
        (
            {
                "duration_days": 2.0,
                "agents": [
                    {"kind": "bal_provider", "name": "b", "amount_usd": 100.0, "exit_at_day": 2.5}
                ],
            },
            r"agents\.0 \(b\)\.exit_at_day = 2\.5: not before the end of the run \(duration_days 2\)",
        ),
        (
            {
                "venues": [{"name": "d", "insurance_fund": {}}],
                "agents": [NOISE, {"kind": "insurance_staker", "name": "s", "stake_at_day": 3.0}],
            },
            r"agents\.1 \(s\)\.stake_at_day = 3: not before the end of the run",
        ),
        (
            {
                "venues": [{"name": "d", "insurance_fund": {}}],
                "agents": [
                    {"kind": "insurance_staker", "name": "s", "request_unstake_at_day": 1.0}
                ],
            },
            r"agents\.0 \(s\)\.request_unstake_at_day = 1: not before the end of the run",
        ),
        (
            {
                "venues": [{"name": "c", "kind": "curie"}],
                "agents": [{"kind": "curie_maker", "name": "m", "enter_at_day": 1.5}],
            },
            r"agents\.0 \(m\)\.enter_at_day = 1\.5: not before the end of the run",
        ),
    ],
    ids=[
        "enter_at_end",
        "exit_after_end",
        "stake_after_end",
        "unstake_at_end",
        "curie_maker_enter_after_end",
    ],
)
def test_agent_date_at_or_after_the_end_is_an_error_naming_key_and_value(scenario, message):
    with pytest.raises(ScenarioError, match=message):
        parse_scenario(scenario)


def test_agent_date_just_before_the_end_is_accepted():
    scenario = parse_scenario(
        {
            "agents": [
                {
                    "kind": "bal_provider",
                    "name": "b",
                    "amount_usd": 100.0,
                    "enter_at_day": 0.5,
                    "exit_at_day": 0.99,
                }
            ]
        }
    )

    assert scenario.agents[0].exit_at_day == 0.99


def test_bal_provider_in_a_curie_only_scenario_is_an_error_naming_the_agent_and_venue_kinds():
    data = {
        "venues": [{"name": "c", "kind": "curie"}],
        "agents": [{"kind": "bal_provider", "name": "b", "amount_usd": 100.0}],
    }

    with pytest.raises(
        ScenarioError, match=r"agents\.0 \(b\): a bal_provider runs on no venue.*venue kinds: curie"
    ):
        parse_scenario(data)


def test_curie_maker_in_a_drift_only_scenario_is_an_error_naming_the_agent_and_venue_kinds():
    data = {"agents": [{"kind": "curie_maker", "name": "m"}]}

    with pytest.raises(
        ScenarioError, match=r"agents\.0 \(m\): a curie_maker runs on no venue.*venue kinds: drift"
    ):
        parse_scenario(data)


def test_bal_amount_above_collateral_is_an_error_naming_both_values():
    data = {
        "agents": [
            {
                "kind": "bal_provider",
                "name": "b",
                "amount_usd": 20_000.0,
                "collateral_usd": 10_000.0,
            }
        ]
    }

    with pytest.raises(
        ScenarioError,
        match=r"agents\.0 \(b\)\.amount_usd = 20000: more margin than its "
        r"collateral_usd 10000",
    ):
        parse_scenario(data)


def test_bal_amount_equal_to_collateral_is_accepted():
    scenario = parse_scenario(
        {
            "agents": [
                {
                    "kind": "bal_provider",
                    "name": "b",
                    "amount_usd": 10_000.0,
                    "collateral_usd": 10_000.0,
                }
            ]
        }
    )

    assert scenario.agents[0].amount_usd == 10_000.0


def test_noise_min_size_above_max_size_is_an_error_naming_both_values():
    data = {"agents": [{**NOISE, "min_size_base": 5.0, "max_size_base": 2.0}]}

    with pytest.raises(
        ScenarioError, match=r"agents\.0 \(n\)\.min_size_base = 5: above max_size_base 2"
    ):
        parse_scenario(data)


@pytest.mark.parametrize(
    ("oracle", "message"),
    [
        (
            {"kind": "gbm", "regimes": [{}, {"start_day": 1.0}]},
            r"oracle\.regimes: day 1 is not before the end",
        ),
        (
            {"kind": "gbm", "regimes": [{}, {"start_day": 1.5}]},
            r"oracle\.regimes: day 1\.5 is not before the end",
        ),
        (
            {"kind": "gbm", "scheduled_moves": [{"at_day": 1.0, "change_pct": -50.0}]},
            r"oracle\.scheduled_moves: day 1 is not before the end",
        ),
        (
            {"kind": "gbm", "scheduled_moves": [{"at_day": 3.0, "change_pct": -50.0}]},
            r"oracle\.scheduled_moves: day 3 is not before the end",
        ),
    ],
    ids=["regime_at_end", "regime_after_end", "move_at_end", "move_after_end"],
)
def test_oracle_event_at_or_after_the_end_is_an_error_naming_key_and_day(oracle, message):
    data = _scenario(markets=[{"name": "SOL-PERP", "oracle": oracle}])

    with pytest.raises(ScenarioError, match=rf"markets\.SOL-PERP\.{message}.*duration_days 1"):
        parse_scenario(data)


def test_scheduled_move_before_the_end_is_accepted():
    scenario = parse_scenario(
        _scenario(
            markets=[
                {
                    "name": "SOL-PERP",
                    "oracle": {
                        "kind": "gbm",
                        "scheduled_moves": [{"at_day": 0.5, "change_pct": -50.0}],
                    },
                }
            ]
        )
    )

    assert scenario.markets[0].oracle.scheduled_moves[0].at_day == 0.5
