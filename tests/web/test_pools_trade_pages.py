"""The Pools and Trade pages in a real browser: deposit on Curie, add a range (its snapped ticks
and liquidity in the preview equal what the API then reports), a taker trades through it, the
impermanent position, fees and margin against the API, remove it (the taker position appears),
Pool Party claim; a market and a limit order on Trade, cancel the limit order. Bad input in
every form says why next to the field and changes nothing; engine refusals show as alerts and
change nothing."""

from __future__ import annotations

import json

import httpx
from playwright.sync_api import Page, expect

from ballast.web.format import base, price, usd
from ballast.web.pages.pools import liquidation_estimate, liquidity_text, ratio_pct
from tests.web.conftest import PASSWORD, sign_up

MARKET = "SOL-PERP"


def _text(page: Page, testid: str) -> str:
    return page.get_by_test_id(testid).first.inner_text().strip()


def _account(http, user: str) -> dict:
    return http.get(f"/api/v1/accounts/{user}").json()


def _curie_pool(site) -> dict:
    return site.api().get(f"/api/v1/markets/{MARKET}").json()["curie"]


def _position(account: dict) -> dict:
    return next(p for p in account["curie"]["positions"] if p["market"] == MARKET)


def _submit(page: Page, fields: dict[str, str], button: str) -> None:
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    page.get_by_role("button", name=button, exact=True).click()


def _taker(site, name: str) -> object:
    """Another user (through the API) with Curie collateral, to trade through the ranges."""
    with httpx.Client(base_url=site.url, timeout=30) as anonymous:
        anonymous.post("/api/v1/auth/signup", json={"username": name, "password": PASSWORD}).raise_for_status()
    http = site.api(site.user_key(name, PASSWORD))
    http.post(f"/api/v1/accounts/{name}/curie/deposit", json={"amount": 50_000_000_000}).raise_for_status()
    return http


def test_add_a_curie_range_watch_it_trade_and_remove_it(site, page, shots):
    sign_up(page, site, "petra")
    http = site.api(site.user_key("petra", PASSWORD))

    # every pool, public numbers as the API reports them
    page.goto(f"{site.url}/pools")
    for market in site.api().get("/api/v1/markets").json():
        pool = market["curie"]
        assert _text(page, f"pool-price-{market['name']}") == price(pool["price"])
        assert _text(page, f"pool-tick-{market['name']}") == str(pool["tick"])
        assert _text(page, f"pool-liquidity-{market['name']}") == liquidity_text(pool["liquidity"])
    expect(page.get_by_test_id("no-curie-account")).to_be_visible()

    # Curie deposit: bad amounts say why and change nothing
    before = _account(http, "petra")
    for bad, message in (("-1", "must be more than zero"), ("0", "must be more than zero"), ("lots", "is not a number"),
                         ("1.1234567", "at most 6 decimals"), ("99999999999999999999", "must be at most")):
        _submit(page, {"Amount to deposit (USDC)": bad}, "Deposit")
        expect(page.locator("[data-error-for=curie_deposit]")).to_contain_text(message)
    _submit(page, {"Amount to withdraw (USDC)": "5"}, "Withdraw")
    expect(page.locator("[data-error-for=curie_withdraw]")).to_contain_text("no free collateral")
    shots(page, "deposit-refused")
    assert _account(http, "petra") == before

    _submit(page, {"Amount to deposit (USDC)": "10000"}, "Deposit")
    expect(page.get_by_test_id("notice")).to_have_text("Deposited $10,000.00 as Curie collateral.")
    curie = _account(http, "petra")["curie"]
    assert _text(page, "curie-collateral") == usd(curie["collateral"]) == "$10,000.00"
    assert _text(page, "curie-free-collateral") == usd(curie["free_collateral"])
    _submit(page, {"Amount to withdraw (USDC)": "10000.01"}, "Withdraw")
    expect(page.locator("[data-error-for=curie_withdraw]")).to_contain_text("must be at most")
    _submit(page, {"Amount to withdraw (USDC)": "500"}, "Withdraw")
    expect(page.get_by_test_id("notice")).to_have_text("Withdrew $500.00 of Curie collateral.")
    assert _text(page, "curie-collateral") == usd(_account(http, "petra")["curie"]["collateral"]) == "$9,500.00"
    shots(page, "deposited")

    # the SOL pool: its numbers, then the Add range preview (ticks snapped to the spacing)
    page.get_by_role("link", name=f"Open {MARKET} pool").click()
    pool = _curie_pool(site)
    assert _text(page, "pool-price") == price(pool["price"])
    assert _text(page, "pool-tick") == str(pool["tick"])
    assert _text(page, "pool-tick-spacing") == str(pool["tick_spacing"]) == "60"
    fields = {"Lower price (USD)": "130", "Upper price (USD)": "160", "Amount of SOL (at most)": "10",
              "Amount of USDC (at most)": "1500"}
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    expect(page.get_by_test_id("preview-liquidity")).to_be_visible()
    expect(page.get_by_test_id("preview-take-base")).to_have_text("10.0000")
    preview = {key: _text(page, f"preview-{key}") for key in ("lower-tick", "upper-tick", "liquidity", "tick-spacing",
                                                               "take-quote", "where")}
    assert int(preview["lower-tick"]) % 60 == 0 and int(preview["upper-tick"]) % 60 == 0
    assert preview["where"] == "in range"
    shots(page, "preview")

    # bad ranges: the message next to the field, nothing changes
    before = _account(http, "petra")
    for label, bad, field, message in (
            ("Lower price (USD)", "0", "lower_price", "must be more than zero"),
            ("Lower price (USD)", "-3", "lower_price", "must be more than zero"),
            ("Upper price (USD)", "120", "upper_price", "must be above the lower price"),
            ("Upper price (USD)", "a lot", "upper_price", "is not a number"),
            ("Amount of SOL (at most)", "1.0000000001", "base_amount", "at most 9 decimals"),
            ("Amount of USDC (at most)", "99999999999999999999", "quote_amount", "must be at most")):
        _submit(page, {**fields, label: bad}, "Add range")
        expect(page.locator(f"[data-error-for={field}]")).to_contain_text(message)
    _submit(page, {**fields, "Amount of SOL (at most)": "", "Amount of USDC (at most)": "0"}, "Add range")
    expect(page.locator("[data-error-for=base_amount]")).to_contain_text("enter an amount of SOL or USDC")
    shots(page, "range-refused-next-to-the-field")
    # engine refusals: SOL alone inside the range buys no liquidity; too much for the collateral
    _submit(page, {**fields, "Amount of USDC (at most)": "0"}, "Add range")
    expect(page.get_by_role("alert").filter(has_text="Zero liquidity added")).to_be_visible()
    _submit(page, {**fields, "Amount of SOL (at most)": "1000000", "Amount of USDC (at most)": "200000000"}, "Add range")
    expect(page.get_by_role("alert").filter(has_text="Not enough free collateral")).to_be_visible()
    shots(page, "range-refused-by-the-engine")
    assert _account(http, "petra") == before

    # add it: the range the API reports is the one the preview showed
    _submit(page, fields, "Add range")
    expect(page.get_by_test_id("notice")).to_contain_text("Added liquidity")
    ranges = _position(_account(http, "petra"))["ranges"]
    assert len(ranges) == 1
    assert str(ranges[0]["lower_tick"]) == preview["lower-tick"] == _text(page, "range-lower-tick")
    assert str(ranges[0]["upper_tick"]) == preview["upper-tick"] == _text(page, "range-upper-tick")
    assert liquidity_text(ranges[0]["liquidity"]) == preview["liquidity"] == _text(page, "range-liquidity")
    assert _text(page, "pool-liquidity") == liquidity_text(_curie_pool(site)["liquidity"]) == preview["liquidity"]
    assert page.get_by_test_id("bar-liquidity").text_content().strip() == preview["liquidity"]
    spec = json.loads(page.locator("#liquidity-chart").get_attribute("data-chart"))
    assert max(spec["series"][0]["values"]) == round(int(ranges[0]["liquidity"]) / 1e18, 6)
    shots(page, "range-added")

    # a taker sells 3 SOL through it: the maker turns long (impermanent), earns the fee
    taker = _taker(site, "tariq")
    taker.post("/api/v1/accounts/tariq/curie/orders", json={"market": MARKET, "side": "short", "base": 3_000_000_000})
    site.step(5)
    page.reload()
    account = _account(http, "petra")
    mine = _position(account)
    assert mine["impermanent_position"] > 0 and mine["pending_fee"] > 0
    assert _text(page, "impermanent-position") == f"{base(mine['impermanent_position'])} SOL"
    assert _text(page, "taker-position") == f"{base(mine['taker_position'])} SOL"
    assert _text(page, "total-position") == f"{base(mine['total_position'])} SOL long"
    assert _text(page, "open-notional") == usd(mine["open_notional"])
    assert _text(page, "pending-fee") == usd(mine["pending_fee"])
    assert _text(page, "pending-funding") == usd(mine["pending_funding"])
    assert _text(page, "account-value") == usd(account["curie"]["account_value"])
    assert _text(page, "margin-requirement") == usd(account["curie"]["margin_requirement"])
    assert _text(page, "margin-ratio") == ratio_pct(account["curie"]["margin_ratio_pct"])
    assert _text(page, "liquidatable") == "no"
    expect(page.get_by_test_id("liquidation-estimate")).to_be_visible()
    assert _text(page, "claimable") == f"{mine['rewards']['claimable']:,} units"
    shots(page, "impermanent-position")

    # Pool Party: nothing closed yet, the claim says so
    page.get_by_role("button", name="Claim rewards").click()
    expect(page.get_by_test_id("notice")).to_have_text("Nothing to claim yet: no closed epoch paid you.")

    # remove it: the impermanent position becomes the taker position
    page.get_by_role("button", name="Remove the range").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Removed the range")
    mine = _position(_account(http, "petra"))
    assert mine["ranges"] == [] and mine["impermanent_position"] == 0
    assert mine["taker_position"] > 0
    assert _text(page, "taker-position") == f"{base(mine['taker_position'])} SOL"
    expect(page.get_by_test_id("no-ranges")).to_be_visible()
    shots(page, "range-removed")

    # removing it again (a stale form): the engine refuses, nothing changes
    before = _account(http, "petra")
    page.evaluate("""([lower, upper]) => {
        const form = document.createElement('form');
        form.method = 'post'; form.action = '/pools/SOL-PERP/ranges/remove';
        for (const [k, v] of [['csrf_token', document.querySelector('input[name=csrf_token]').value],
                              ['lower_tick', lower], ['upper_tick', upper]]) {
            const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; form.appendChild(i);
        }
        document.body.appendChild(form); form.submit();
    }""", [preview["lower-tick"], preview["upper-tick"]])
    expect(page.get_by_role("alert").filter(has_text="No such range")).to_be_visible()
    assert _account(http, "petra") == before


def test_market_and_limit_orders_on_trade(site, page, shots):
    sign_up(page, site, "tomas")
    http = site.api(site.user_key("tomas", PASSWORD))
    site.step(3)
    page.goto(f"{site.url}/trade?market={MARKET}")
    market = site.api().get(f"/api/v1/markets/{MARKET}").json()
    for testid, key in (("oracle", "oracle_price"), ("mark", "mark_price"), ("bid", "bid_price"), ("ask", "ask_price")):
        assert _text(page, testid) == price(market[key])
    assert _text(page, "spread") == price(market["ask_price"] - market["bid_price"])
    spec = json.loads(page.locator("#price-chart").get_attribute("data-chart"))
    clock = site.api().get("/api/v1/clock").json()
    assert spec["x"][-1] == clock["ts"]
    assert spec["series"][0]["values"][-1] == market["oracle_price"] / 1e6
    assert spec["series"][1]["values"][-1] == market["mark_price"] / 1e6
    shots(page, "trade")

    # deposit: bad amounts, then $5,000
    before = _account(http, "tomas")
    for bad, message in (("-10", "must be more than zero"), ("0", "must be more than zero"), ("abc", "is not a number"),
                         ("5.0000001", "at most 6 decimals"), ("99999999999999999999", "must be at most")):
        _submit(page, {"Amount (USDC)": bad}, "Deposit")
        expect(page.locator("[data-error-for=trade_deposit]")).to_contain_text(message)
    assert _account(http, "tomas") == before
    _submit(page, {"Amount (USDC)": "5000"}, "Deposit")
    expect(page.get_by_test_id("notice")).to_have_text("Deposited $5,000.00 into subaccount 0.")
    assert _text(page, "total-collateral") == usd(_account(http, "tomas")["drift"][0]["total_collateral"])

    # orders: bad sizes and prices say why; too big an order is refused by the engine
    before = _account(http, "tomas")
    for size, message in (("0", "must be more than zero"), ("-1", "must be more than zero"), ("one", "is not a number"),
                          ("0.15", "at most 1 decimals")):
        _submit(page, {"Size (SOL)": size}, "Place order")
        expect(page.locator("[data-error-for=size]")).to_contain_text(message)
    page.get_by_label("Limit", exact=True).check()
    for limit, message in (("", "enter an amount of USD"), ("0", "must be more than zero"), ("12.3456789", "at most 6 decimals")):
        _submit(page, {"Size (SOL)": "1", "Limit price (USD)": limit}, "Place order")
        expect(page.locator("[data-error-for=limit_price]")).to_contain_text(message)
    page.get_by_label("Market", exact=True).check()
    _submit(page, {"Size (SOL)": "100000"}, "Place order")
    expect(page.get_by_role("alert").filter(has_text="Insufficient collateral")).to_be_visible()
    shots(page, "order-refused")
    assert _account(http, "tomas") == before

    # a market order: filled, the position is the API's
    _submit(page, {"Size (SOL)": "1.5"}, "Place order")
    expect(page.get_by_test_id("notice")).to_have_text("Market order long 1.5 SOL: filled, 1.5000 SOL filled.")
    position = next(p for p in _account(http, "tomas")["drift"][0]["positions"] if p["market"] == MARKET)
    assert position["base_asset_amount"] == 1_500_000_000
    assert _text(page, "position-size") == base(position["base_asset_amount"])
    assert _text(page, "entry-price") == price(position["entry_price"])
    assert _text(page, "unsettled-pnl") == usd(position["unsettled_pnl"])

    # a limit order below the market rests; cancel it
    page.get_by_label("Short (sell)").check()
    page.get_by_label("Limit", exact=True).check()
    _submit(page, {"Size (SOL)": "2", "Limit price (USD)": "250"}, "Place order")
    expect(page.get_by_test_id("notice")).to_contain_text("placed: short 2.0 SOL at $250.00")
    orders = _account(http, "tomas")["drift"][0]["orders"]
    assert len(orders) == 1 and orders[0]["type"] == "limit" and orders[0]["side"] == "short"
    assert _text(page, "order-size") == base(orders[0]["base"])
    assert _text(page, "order-price") == price(orders[0]["price"])
    shots(page, "limit-order")
    page.get_by_role("button", name=f"Cancel order {orders[0]['order_id']}").click()
    expect(page.get_by_test_id("notice")).to_have_text(f"Cancelled order #{orders[0]['order_id']}.")
    expect(page.get_by_test_id("no-orders")).to_be_visible()
    assert _account(http, "tomas")["drift"][0]["orders"] == []
    shots(page, "cancelled")


def test_the_liquidation_estimate_of_a_taker_position_is_the_closed_form():
    # 10 SOL long at a $150 mark with $300 of account value, maintenance 6.25%: liquidatable when
    # 300 + 10 (P - 150) < 0.0625 x 10 P, so below P = 1200 / 9.375 = $128; never above
    estimate = liquidation_estimate(account_value=300_000_000, mm_ratio=62_500, mark=150_000_000,
                                    position=10_000_000_000, other_abs_value=0, orders=[], pool_sqrt=0)
    assert not estimate["now"] and estimate["above"] is None
    assert abs(estimate["below"] - 128_000_000) <= 1
    # the same short: liquidatable above 1800 / 10.625 = $169.41...
    estimate = liquidation_estimate(account_value=300_000_000, mm_ratio=62_500, mark=150_000_000,
                                    position=-10_000_000_000, other_abs_value=0, orders=[], pool_sqrt=0)
    assert estimate["below"] is None
    assert abs(estimate["above"] - 169_411_765) <= 1
