"""The Positions and Settings pages in a real browser: deposits and withdrawals, the BAL position
as bids/asks, settled and unsettled positions moving as takers trade, Settle and Close, the P&L
chart; subaccount leverage and de-risking, the app settings, all persisting across a restart.
Every number read on a page is compared with the engine's value through the API (formatted with
ballast.web.format); bad input is refused next to its field and changes nothing."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from ballast.web.format import base, pct, price, usd
from tests.web.conftest import PASSWORD, sign_up

MARKET = "SOL-PERP"


def digest(site) -> str:
    with site.api() as http:
        return http.get("/api/v1/admin/digest").json()["digest"]


def account(site, username: str) -> dict:
    """The user's account through the API (read as the admin)."""
    with site.api() as http:
        response = http.get(f"/api/v1/accounts/{username}")
        response.raise_for_status()
        return response.json()


def sub_view(acct: dict, sub: int = 0) -> dict:
    return next(s for s in acct["drift"] if s["sub_account_id"] == sub)


def position(acct: dict, sub: int = 0, market: str = MARKET) -> dict:
    return next(p for p in sub_view(acct, sub)["positions"] if p["market"] == market)


def check_subaccount(page: Page, sub: dict) -> None:
    """The subaccount's figures on the page equal the API's."""
    s = sub["sub_account_id"]
    expect(page.get_by_test_id(f"deposits-{s}")).to_have_text(usd(sub["deposits"]))
    expect(page.get_by_test_id(f"collateral-{s}")).to_have_text(usd(sub["total_collateral"]))
    expect(page.get_by_test_id(f"free-{s}")).to_have_text(usd(sub["free_collateral"]))
    expect(page.get_by_test_id(f"equity-{s}")).to_have_text(usd(sub["equity"]))
    expect(page.get_by_test_id(f"pnl-{s}")).to_have_text(usd(sub["pnl_since_entry"]))
    expect(page.get_by_test_id(f"maint-{s}")).to_have_text(usd(sub["maintenance_margin_requirement"]))


def check_position(page: Page, sub: int, p: dict) -> None:
    key = f"{sub}-{p['market']}"
    bal = p["bal"]
    expect(page.get_by_test_id(f"shares-{key}")).to_have_text(base(p["lp_shares"]))
    expect(page.get_by_test_id(f"bids-{key}")).to_have_text(base(bal["open_bids"] if bal else p["open_bids"]))
    expect(page.get_by_test_id(f"asks-{key}")).to_have_text(base(bal["open_asks"] if bal else p["open_asks"]))
    expect(page.get_by_test_id(f"settled-{key}")).to_have_text(base(p["base_asset_amount"]))
    unsettled = bal["base_asset_amount"] if bal else p["base_asset_amount"]
    expect(page.get_by_test_id(f"unsettled-{key}")).to_have_text(base(unsettled))
    expect(page.get_by_test_id(f"upnl-{key}")).to_have_text(usd(p["unsettled_pnl"]))
    expect(page.get_by_test_id(f"ufunding-{key}")).to_have_text(usd(p["unsettled_funding"], 4))
    expect(page.get_by_test_id(f"entry-{key}")).to_have_text(price(p["entry_price"]))
    if bal and bal["remainder_base_asset_amount"]:
        expect(page.get_by_test_id(f"residual-{key}")).to_have_text(base(bal["remainder_base_asset_amount"], 9))


def check_accessible(page: Page) -> None:
    """Headings in order (one h1 first, no level skipped going down) and every visible input or
    select has a label."""
    levels = page.eval_on_selector_all("main h1, main h2, main h3", "els => els.map(e => +e.tagName[1])")
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    unlabelled = page.eval_on_selector_all(
        "input:not([type=hidden]), select",
        "els => els.filter(e => e.offsetParent !== null && !e.labels.length && !e.getAttribute('aria-label'))"
        ".map(e => e.name)")
    assert unlabelled == []


def test_positions_move_as_takers_trade(site, page, shots):
    sign_up(page, site, "petra")
    key = site.user_key("petra", PASSWORD)
    page.get_by_role("link", name="Positions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Positions")
    form = page.locator("#deposit-form")
    form.get_by_label("Amount to deposit (USDC)").fill("150000")
    form.get_by_role("button", name="Deposit").click()
    expect(page.get_by_test_id("deposit-done")).to_be_visible()
    acct = account(site, "petra")
    expect(page.get_by_test_id("deposit-amount")).to_have_text(usd(150_000_000_000))
    expect(page.get_by_test_id("deposit-deposits")).to_have_text(usd(sub_view(acct)["deposits"]))
    check_subaccount(page, sub_view(acct))  # the live numbers refreshed after the deposit
    shots(page, "deposited")

    with site.api(key) as http:
        http.post("/api/v1/accounts/petra/drift/bal/add",
                  json={"market": MARKET, "leverage_pct": 50}).raise_for_status()
    page.reload()
    acct = account(site, "petra")
    p = position(acct)
    assert p["bal"]["open_bids"] > 0 > p["bal"]["open_asks"]
    check_position(page, 0, p)
    check_subaccount(page, sub_view(acct))
    shots(page, "bal-as-bids-and-asks")

    with site.api() as http:
        http.post("/api/v1/admin/agents", json={"on": True}).raise_for_status()
    site.step(120)
    page.reload()
    acct = account(site, "petra")
    p = position(acct)
    assert p["bal"]["base_asset_amount"] or p["bal"]["remainder_base_asset_amount"], "takers traded with the BAL"
    assert sub_view(acct)["pnl_since_entry"] != 0
    check_subaccount(page, sub_view(acct))
    check_position(page, 0, p)
    with site.api() as http:
        bal = http.get(f"/api/v1/markets/{MARKET}").json()["bal"]
    expect(page.get_by_test_id("sub-0-7d-SOL-PERP")).to_have_text(pct(bal["perf_7d"]["return_pct"]))
    expect(page.get_by_test_id("sub-0-30d-SOL-PERP")).to_have_text(pct(bal["perf_30d"]["return_pct"]))
    check_accessible(page)
    expect(page.get_by_test_id("chart-pnl-0")).to_have_text(usd(sub_view(acct)["pnl_since_entry"]))
    expect(page.locator("#pnl-chart-0 canvas").first).to_be_visible()
    points = page.evaluate("JSON.parse(document.getElementById('pnl-chart-0').dataset.chart).x.length")
    assert points >= 9
    shots(page, "after-trading")

    # live: the clock moves and the numbers follow without a reload
    site.step(30)
    acct = account(site, "petra")
    expect(page.get_by_test_id("equity-0")).to_have_text(usd(sub_view(acct)["equity"]), timeout=12_000)
    check_position(page, 0, position(acct))

    # Settle: the unsettled position becomes the settled one
    page.get_by_role("button", name="Settle SOL-PERP in subaccount 0").click()
    expect(page.get_by_test_id("positions-notice")).to_contain_text("Settled SOL-PERP in subaccount 0")
    acct = account(site, "petra")
    p = position(acct)
    assert p["base_asset_amount"] == p["bal"]["base_asset_amount"]
    expect(page.get_by_test_id("positions-notice")).to_contain_text(
        f"the position is {base(p['base_asset_amount'])} SOL")
    check_position(page, 0, p)
    shots(page, "settled")

    # Close: a reduce-only market order for the whole position
    if p["bal"]["base_asset_amount"] == 0:  # make sure there is something to close
        site.step(60)
        page.reload()
        p = position(account(site, "petra"))
    if p["bal"]["base_asset_amount"] != 0:
        page.get_by_role("button", name="Close the SOL-PERP position of subaccount 0").click()
        expect(page.get_by_test_id("positions-notice")).to_contain_text("Close order for")
        acct = account(site, "petra")
        p = position(acct)
        assert p["bal"]["base_asset_amount"] == 0
        expect(page.get_by_test_id("positions-notice")).to_contain_text("the position is now 0.0000 SOL")
        check_position(page, 0, p)
        check_subaccount(page, sub_view(acct))
        shots(page, "closed")
    with site.api() as http:
        http.post("/api/v1/admin/agents", json={"on": False}).raise_for_status()


def test_deposit_and_withdraw_refuse_bad_input(site, page, shots):
    sign_up(page, site, "walt")
    key = site.user_key("walt", PASSWORD)
    page.goto(f"{site.url}/positions")
    before = digest(site)
    deposit = page.locator("#deposit-form")
    for text, message in (("-10", "must be more than zero"), ("0", "must be more than zero"),
                          ("ten", "'ten' is not a number"), ("1.1234567", "at most 6 decimals"),
                          ("10000001", "must be at most 10000000 USDC"), ("", "enter an amount")):
        deposit.get_by_label("Amount to deposit (USDC)").fill(text)
        deposit.get_by_role("button", name="Deposit").click()
        expect(deposit.locator("[data-error-for=deposit_amount]")).to_contain_text(message)
    shots(page, "deposit-refused")
    withdraw = page.locator("#withdraw-form")
    withdraw.get_by_label("Amount to withdraw (USDC)").fill("5")
    withdraw.get_by_role("button", name="Withdraw").click()
    expect(withdraw.locator("[data-error-for=withdraw_amount]")).to_contain_text("holds no USDC")
    assert digest(site) == before

    deposit.get_by_label("Amount to deposit (USDC)").fill("2500.5")
    deposit.get_by_role("button", name="Deposit").click()
    expect(page.get_by_test_id("deposit-done")).to_be_visible()
    acct = account(site, "walt")
    expect(page.get_by_test_id("deposit-deposits")).to_have_text(usd(sub_view(acct)["deposits"]))
    assert sub_view(acct)["deposits"] == 2_500_500_000
    before = digest(site)
    for text, message in (("-1", "must be more than zero"), ("0", "must be more than zero"), ("abc", "not a number"),
                          ("1.0000001", "at most 6 decimals"), ("2500.500001", "must be at most 2500.5 USDC")):
        withdraw.get_by_label("Amount to withdraw (USDC)").fill(text)
        withdraw.get_by_role("button", name="Withdraw").click()
        expect(withdraw.locator("[data-error-for=withdraw_amount]")).to_contain_text(message)
    assert digest(site) == before

    # an engine refusal: the BAL shares need margin the withdrawal would take
    with site.api(key) as http:
        http.post("/api/v1/accounts/walt/drift/bal/add", json={"market": MARKET, "leverage_pct": 80}).raise_for_status()
    before = digest(site)
    withdraw.get_by_label("Amount to withdraw (USDC)").fill("2500.5")
    withdraw.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_test_id("withdraw-refusal")).to_contain_text("Insufficient collateral:")
    expect(page.get_by_test_id("withdraw-refusal")).to_have_attribute("role", "alert")
    shots(page, "withdraw-refused")
    assert digest(site) == before

    withdraw.get_by_label("Amount to withdraw (USDC)").fill("100")
    withdraw.get_by_role("button", name="Withdraw").click()
    expect(page.get_by_test_id("withdraw-done")).to_be_visible()
    acct = account(site, "walt")
    assert sub_view(acct)["total_withdraws"] == 100_000_000
    expect(page.get_by_test_id("withdraw-amount")).to_have_text(usd(100_000_000))
    expect(page.get_by_test_id("withdraw-deposits")).to_have_text(usd(sub_view(acct)["deposits"]))
    expect(page.get_by_test_id("withdraw-free")).to_have_text(usd(sub_view(acct)["free_collateral"]))
    check_subaccount(page, sub_view(acct))
    shots(page, "withdrew")

    # a new subaccount, chosen in the deposit form
    page.get_by_label("Name (optional)").fill("BAL")
    page.get_by_role("button", name="Create subaccount").click()
    expect(page.get_by_test_id("positions-notice")).to_contain_text("Subaccount 1 created")
    expect(page.locator("#f-deposit-sub_account_id")).to_have_value("1")
    assert [s["name"] for s in account(site, "walt")["drift"]] == ["Main", "BAL"]
    check_subaccount(page, sub_view(account(site, "walt"), 1))


def test_settings_persist_across_a_restart(site, page, shots):
    sign_up(page, site, "sofia")
    key = site.user_key("sofia", PASSWORD)
    page.get_by_role("link", name="Settings").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Settings")
    card = page.get_by_test_id("sub-settings-0")
    expect(card.get_by_test_id("cap-0")).to_have_text("no cap of its own (each market's limit applies)")
    expect(card.get_by_test_id("derisk-0")).to_have_text("on")
    check_accessible(page)

    before = digest(site)
    for text, message in (("-2", "between 1x and 20x"), ("0", "between 1x and 20x"), ("25", "between 1x and 20x"),
                          ("five", "not a number"), ("2.125", "at most 2 decimals"), ("", "enter a leverage")):
        page.get_by_label("Max leverage (x)").fill(text)
        page.get_by_role("button", name="Set max leverage").click()
        expect(page.locator("[data-error-for=max_leverage_0]")).to_contain_text(message)
    shots(page, "leverage-refused")
    assert digest(site) == before

    page.get_by_label("Max leverage (x)").fill("3")
    expect(page.get_by_test_id("implied-0")).to_have_text("3x = 33.34% initial margin")
    page.get_by_role("button", name="Set max leverage").click()
    expect(page.get_by_test_id("settings-done-0")).to_be_visible()
    sub = sub_view(account(site, "sofia"))
    assert sub["custom_margin_ratio"] == 3334  # ceil(1e4 / 3)
    expect(page.get_by_test_id("cap-0")).to_have_text(
        f"{sub['max_leverage']:.2f}".rstrip("0").rstrip(".") + "x = 33.34% initial margin")
    page.get_by_label("Max leverage (x)").fill("5")
    page.get_by_role("button", name="Set max leverage").click()
    expect(page.get_by_test_id("cap-0")).to_have_text("5x = 20% initial margin")
    assert sub_view(account(site, "sofia"))["custom_margin_ratio"] == 2000
    page.get_by_label("Opt out of automatic BAL de-risking").check()
    page.get_by_role("button", name="Save de-risking choice").click()
    expect(page.get_by_test_id("derisk-0")).to_have_text("off (opted out)")
    assert sub_view(account(site, "sofia"))["derisk_opt_out"] is True

    app = page.get_by_test_id("app-settings")
    app.get_by_label("Lite").check()
    app.get_by_label("Order form on the left").check()
    app.get_by_test_id("notifications-off").check()
    app.get_by_test_id("theme-light").check()
    app.get_by_role("button", name="Save app settings").click()
    expect(page.get_by_test_id("app-saved")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    shots(page, "saved")
    with site.api(key) as http:
        assert http.get("/api/v1/me").json()["settings"] == {
            "theme": "light", "trade_mode": "lite", "trade_layout": "left", "notifications": False}

    # a tampered choice is refused by name and stores nothing
    response = page.request.post(f"{site.url}/settings/app", form={
        "csrf_token": page.locator("[data-testid=app-settings] input[name=csrf_token]").input_value(),
        "trade_mode": "turbo", "trade_layout": "left", "notifications": "off", "theme": "light"})
    assert response.status == 400 and "choose one of lite, pro" in response.text()

    site.restart()
    page.goto(f"{site.url}/settings")
    expect(page.get_by_test_id("cap-0")).to_have_text("5x = 20% initial margin")
    expect(page.get_by_test_id("derisk-0")).to_have_text("off (opted out)")
    expect(page.get_by_test_id("trade_mode-lite")).to_be_checked()
    expect(page.get_by_test_id("trade_layout-left")).to_be_checked()
    expect(page.get_by_test_id("notifications-off")).to_be_checked()
    expect(page.get_by_test_id("theme-light")).to_be_checked()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    shots(page, "after-restart")

    page.get_by_role("button", name="Remove the cap").click()
    expect(page.get_by_test_id("cap-0")).to_have_text("no cap of its own (each market's limit applies)")
    assert sub_view(account(site, "sofia"))["custom_margin_ratio"] == 0
    expect(page).to_have_url(re.compile(r"/settings"))
