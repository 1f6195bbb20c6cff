"""The BAL page, its performance page and the Add / Remove dialogs, in a real browser: every
number read on a page is compared with the engine's value through the API, formatted the same
way (ballast.web.format); bad input is refused next to its field and changes nothing (the
state digest is the same)."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from ballast.web.format import base, pct, price, usd
from tests.web.conftest import PASSWORD, sign_up

MARKET = "SOL-PERP"


def digest(site) -> str:
    with site.api() as http:
        return http.get("/api/v1/admin/digest").json()["digest"]


def total_liquidity(listed: list[dict]) -> str:
    return usd(sum(m["bal"]["total_liquidity_quote"] for m in listed))


def markets(site) -> list[dict]:
    with site.api() as http:
        return http.get("/api/v1/markets").json()


def account(site, username: str) -> dict:
    """The user's account through the API (read as the admin)."""
    with site.api() as http:
        response = http.get(f"/api/v1/accounts/{username}")
        response.raise_for_status()
        return response.json()


def lp_shares(acct: dict, sub: int = 0, market: str = MARKET) -> int:
    for entry in acct["drift"]:
        if entry["sub_account_id"] == sub:
            for position in entry["positions"]:
                if position["market"] == market:
                    return position["lp_shares"]
    return 0


def deposit_on_positions(page: Page, site, amount: str, sub: int = 0) -> None:
    page.goto(f"{site.url}/positions?sub={sub}")
    form = page.locator("#deposit-form")
    form.get_by_label("Amount to deposit (USDC)").fill(amount)
    form.get_by_role("button", name="Deposit").click()
    expect(page.get_by_test_id("deposit-done")).to_be_visible()


def check_accessible(page: Page) -> None:
    """Headings in order (one h1 first, no level skipped going down) and every visible input or
    select has a label."""
    levels = page.eval_on_selector_all("main h1, main h2, main h3, dialog h2, dialog h3",
                                       "els => els.map(e => +e.tagName[1])")
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b - a <= 1 for a, b in zip(levels, levels[1:], strict=False)), levels
    unlabelled = page.eval_on_selector_all(
        "input:not([type=hidden]), select",
        "els => els.filter(e => e.offsetParent !== null && !e.labels.length && !e.getAttribute('aria-label'))"
        ".map(e => e.name)")
    assert unlabelled == []


def open_add(page: Page, site, market: str = MARKET) -> None:
    page.goto(f"{site.url}/bal")
    page.get_by_role("link", name=f"Add liquidity to {market}").click()
    expect(page.locator("#bal-dialog")).to_be_visible()
    expect(page.locator("#bal-dialog-title")).to_have_text(f"Add liquidity · {market}")


def test_the_bal_page_as_anyone(site, page, shots):
    page.goto(f"{site.url}/bal")
    expect(page.get_by_role("heading", level=1)).to_have_text("Backstop AMM Liquidity (BAL)")
    listed = markets(site)
    expect(page.get_by_test_id("total-liquidity")).to_have_text(total_liquidity(listed))
    for m in listed:
        row = page.get_by_test_id(f"market-{m['name']}")
        expect(row.get_by_test_id(f"liquidity-{m['name']}")).to_have_text(usd(m["bal"]["total_liquidity_quote"]))
        expect(row.get_by_test_id(f"perf30-{m['name']}")).to_have_text(pct(m["bal"]["perf_30d"]["return_pct"]))
        expect(row.get_by_role("link", name=f"View performance of {m['name']}")).to_be_visible()
        assert m["low_liquidity"]  # nobody has added BAL yet: every market is low on liquidity
        expect(page.get_by_test_id(f"low-{m['name']}")).to_be_visible()
    expect(page.get_by_test_id("low-liquidity-warning")).to_contain_text("large part")
    expect(page.get_by_test_id("disclaimer")).to_contain_text("illustration only")
    expect(page.get_by_test_id("fee-formula")).to_contain_text("floor(|residual| × oracle price) + 1 quote unit")
    expect(page.get_by_text("first removes your BAL shares")).to_be_attached()
    check_accessible(page)
    shots(page, "bal-table")

    page.get_by_role("link", name="Cards").click()
    expect(page).to_have_url(re.compile(r"view=cards"))
    card = page.get_by_test_id(f"market-{MARKET}")
    expect(card.get_by_test_id(f"liquidity-{MARKET}")).to_have_text(usd(listed[0]["bal"]["total_liquidity_quote"]))
    expect(page.locator("#bal-markets")).to_have_attribute("hx-get", "/bal/_markets?view=cards")
    shots(page, "bal-cards")

    # a signed-out Add asks to log in
    page.get_by_role("link", name=f"Add liquidity to {MARKET}").click()
    expect(page).to_have_url(re.compile(r"/login"))


def test_add_by_amount_and_by_leverage(site, page, shots):
    sign_up(page, site, "lena")
    deposit_on_positions(page, site, "25000")
    acct = account(site, "lena")
    expect(page.get_by_test_id("deposit-deposits")).to_have_text(usd(acct["drift"][0]["deposits"]))
    expect(page.get_by_test_id("deposit-free")).to_have_text(usd(acct["drift"][0]["free_collateral"]))

    # by amount
    open_add(page, site)
    assert page.evaluate("document.activeElement.closest('dialog') !== null")  # the focus moved in
    page.get_by_label("Margin to commit (USDC)").fill("1000")
    with site.api() as http:
        expected = http.get("/api/v1/accounts/lena/drift/bal/preview-add",
                            params={"market": MARKET, "amount": 1_000_000_000}).json()
    preview = page.get_by_test_id("add-preview")
    expect(preview.get_by_test_id("preview-shares")).to_have_text(base(expected["shares"]))
    expect(preview.get_by_test_id("preview-margin")).to_have_text(usd(expected["margin_required"]))
    expect(preview.get_by_test_id("preview-bids")).to_have_text(f"{base(expected['lp_open_bids'])} SOL")
    expect(preview.get_by_test_id("preview-asks")).to_have_text(f"{base(expected['lp_open_asks'])} SOL")
    expect(preview.get_by_test_id("preview-free")).to_have_text(usd(expected["free_collateral"]))
    expect(preview.get_by_test_id("preview-free-after")).to_have_text(usd(expected["free_collateral_after"]))
    expect(preview.get_by_test_id("preview-max-leverage")).to_contain_text("no cap of its own")
    expect(preview.get_by_test_id("separate-suggestion")).to_have_count(0)
    check_accessible(page)
    shots(page, "add-by-amount-preview")
    page.get_by_role("button", name="Add liquidity").click()
    expect(page.get_by_test_id("add-done")).to_be_visible()
    first = lp_shares(account(site, "lena"))
    assert first == expected["shares"]
    expect(page.get_by_test_id("added-shares")).to_have_text(base(first))
    expect(page.get_by_test_id("after-shares")).to_have_text(base(first))
    acct = account(site, "lena")
    expect(page.get_by_test_id("after-free")).to_have_text(usd(acct["drift"][0]["free_collateral"]))
    shots(page, "add-by-amount-done")
    page.get_by_role("button", name="Done").click()
    expect(page.locator("#bal-dialog")).to_be_hidden()
    expect(page.get_by_test_id(f"your-shares-{MARKET}")).to_have_text(base(first))  # the table refreshed

    # by leverage
    page.get_by_role("link", name=f"Add liquidity to {MARKET}").click()
    expect(page.locator("#bal-dialog")).to_be_visible()
    page.get_by_label("Leverage", exact=True).check()
    page.get_by_label("Leverage (% of free collateral, 1-100)").fill("40")
    with site.api() as http:
        expected = http.get("/api/v1/accounts/lena/drift/bal/preview-add",
                            params={"market": MARKET, "leverage_pct": 40}).json()
    expect(preview.get_by_test_id("preview-shares")).to_have_text(base(expected["shares"]))
    expect(preview.get_by_test_id("preview-free")).to_have_text(usd(expected["free_collateral"]))
    shots(page, "add-by-leverage-preview")
    page.get_by_role("button", name="Add liquidity").click()
    expect(page.get_by_test_id("add-done")).to_be_visible()
    total = lp_shares(account(site, "lena"))
    assert total == first + expected["shares"]
    expect(page.get_by_test_id("added-shares")).to_have_text(base(expected["shares"]))
    expect(page.get_by_test_id("after-shares")).to_have_text(base(total))
    page.keyboard.press("Escape")  # the dialog closes by keyboard
    expect(page.locator("#bal-dialog")).to_be_hidden()
    expect(page.get_by_test_id(f"your-shares-{MARKET}")).to_have_text(base(total))
    listed = markets(site)
    expect(page.get_by_test_id("total-liquidity")).to_have_text(total_liquidity(listed))
    page.reload()
    sol = next(m for m in listed if m["name"] == MARKET)
    expect(page.get_by_test_id(f"featured-liquidity-{MARKET}")).to_have_text(usd(sol["bal"]["total_liquidity_quote"]))
    expect(page.get_by_test_id(f"featured-7d-{MARKET}")).to_have_text(pct(sol["bal"]["perf_7d"]["return_pct"]))
    shots(page, "bal-with-shares")


def test_add_refuses_bad_input_next_to_the_field(site, page, shots):
    sign_up(page, site, "boris")
    key = site.user_key("boris", PASSWORD)
    deposit_on_positions(page, site, "5000")
    open_add(page, site)
    before = digest(site)
    amount = page.get_by_label("Margin to commit (USDC)")
    error = page.locator("#bal-dialog [data-error-for=amount]")
    for text, message in (("-5", "must be more than zero"), ("0", "must be more than zero"),
                          ("abc", "'abc' is not a number"), ("1.0000001", "USDC has at most 6 decimals"),
                          ("6000", "more than the subaccount's free collateral ($5,000.00)"), ("", "enter an amount")):
        amount.fill(text)
        page.get_by_role("button", name="Add liquidity").click()
        expect(error).to_contain_text(message)
        expect(page.locator("#bal-dialog #f-amount")).to_have_attribute("aria-invalid", "true")
        amount = page.get_by_label("Margin to commit (USDC)")
    shots(page, "add-bad-amount")
    page.get_by_label("Leverage", exact=True).check()
    error = page.locator("#bal-dialog [data-error-for=leverage_pct]")
    for text, message in (("-5", "between 1 and 100"), ("0", "between 1 and 100"), ("101", "between 1 and 100"),
                          ("abc", "not a whole number"), ("12.5", "not a whole number")):
        page.get_by_label("Leverage (% of free collateral, 1-100)").fill(text)
        page.get_by_role("button", name="Add liquidity").click()
        expect(error).to_contain_text(message)
    shots(page, "add-bad-leverage")
    assert digest(site) == before
    assert lp_shares(account(site, "boris")) == 0

    # an engine refusal: a 1x cap makes the shares need ten times the margin
    with site.api(key) as http:
        http.post("/api/v1/accounts/boris/drift/settings", json={"max_leverage": 1}).raise_for_status()
    before = digest(site)
    page.get_by_label("Amount of margin").check()
    page.get_by_label("Margin to commit (USDC)").fill("4000")
    expect(page.get_by_test_id("preview-refusal")).to_contain_text("InsufficientCollateral")
    page.get_by_role("button", name="Add liquidity").click()
    expect(page.get_by_test_id("form-refusal")).to_contain_text("Insufficient collateral:")
    expect(page.get_by_test_id("form-refusal")).to_have_attribute("role", "alert")
    shots(page, "add-refused")
    assert digest(site) == before
    assert lp_shares(account(site, "boris")) == 0
    with site.api(key) as http:
        http.post("/api/v1/accounts/boris/drift/settings", json={"max_leverage": 0}).raise_for_status()


def test_a_separate_subaccount_is_suggested_and_created(site, page, shots):
    sign_up(page, site, "tara")
    key = site.user_key("tara", PASSWORD)
    deposit_on_positions(page, site, "5000")
    with site.api(key) as http:  # a trading position in another market
        http.post("/api/v1/accounts/tara/drift/orders",
                  json={"market": "ETH-PERP", "side": "long", "base": 100_000_000}).raise_for_status()
    open_add(page, site)
    page.get_by_label("Margin to commit (USDC)").fill("100")
    suggestion = page.get_by_test_id("separate-suggestion")
    expect(suggestion).to_be_visible()
    shots(page, "suggestion")
    suggestion.get_by_role("button", name="Create a BAL subaccount").click()
    expect(page.get_by_test_id("subaccount-created")).to_contain_text("Subaccount 1 created")
    acct = account(site, "tara")
    assert [s["sub_account_id"] for s in acct["drift"]] == [0, 1]
    assert acct["drift"][1]["name"] == f"BAL {MARKET}"
    expect(page.locator("#f-add-sub_account_id")).to_have_value("1")
    expect(page.get_by_test_id("preview-problem")).to_contain_text("no free collateral")
    shots(page, "new-subaccount")
    page.get_by_role("link", name="Deposit USDC").click()
    expect(page).to_have_url(re.compile(r"/positions\?sub=1"))
    expect(page.locator("#f-deposit-sub_account_id")).to_have_value("1")


def test_remove_shows_the_residual_fee(site, page, shots):
    sign_up(page, site, "remy")
    key = site.user_key("remy", PASSWORD)
    deposit_on_positions(page, site, "200000")
    with site.api(key) as http:
        http.post("/api/v1/accounts/remy/drift/bal/add", json={"market": MARKET, "leverage_pct": 60}).raise_for_status()
    with site.api() as http:
        http.post("/api/v1/admin/agents", json={"on": True}).raise_for_status()
    site.step(120)
    held = lp_shares(account(site, "remy"))
    page.goto(f"{site.url}/bal")
    expect(page.get_by_test_id(f"your-shares-{MARKET}")).to_have_text(base(held))
    page.get_by_role("link", name=f"Remove liquidity from {MARKET}").click()
    expect(page.locator("#bal-dialog-title")).to_have_text(f"Remove liquidity · {MARKET}")
    expect(page.get_by_test_id("held-shares")).to_have_text(base(held))

    # bad input first: nothing changes
    before = digest(site)
    shares = page.get_by_label("Shares to remove")
    error = page.locator("#bal-dialog [data-error-for=shares]")
    for text, message in (("-1", "must be more than zero"), ("0", "must be more than zero"), ("xyz", "not a number"),
                          ("1.0000000001", "at most 9 decimals"), (str(held // 10**9 + 1), "must be at most")):
        shares.fill(text)
        page.get_by_role("button", name="Remove liquidity").click()
        expect(error).to_contain_text(message)
        shares = page.get_by_label("Shares to remove")
    shots(page, "remove-bad-input")
    assert digest(site) == before

    page.get_by_role("button", name=re.compile("^Max")).click()
    with site.api() as http:
        expected = http.get("/api/v1/accounts/remy/drift/bal/preview-remove", params={"market": MARKET}).json()
    assert expected["residual_base"] != 0, "the takers should have left a sub-step residual"
    preview = page.get_by_test_id("remove-preview")
    expect(preview.get_by_test_id("remove-shares")).to_have_text(base(held))
    expect(preview.get_by_test_id("remove-residual")).to_have_text(f"{base(expected['residual_base'], 9)} SOL")
    expect(preview.get_by_test_id("remove-oracle")).to_have_text(price(expected["oracle_price"]))
    expect(preview.get_by_test_id("remove-fee")).to_have_text(usd(expected["dust_fee"], 6))
    assert expected["dust_fee"] == abs(expected["residual_base"]) * expected["oracle_price"] // 10**9 + 1
    after = expected["position_after"]
    expect(preview.get_by_test_id("remove-position")).to_have_text(f"{base(after['base_asset_amount'])} SOL")
    expect(preview.get_by_test_id("remove-position-quote")).to_have_text(usd(after["quote_asset_amount"], 6))
    expect(preview.get_by_test_id("remove-entry")).to_have_text(price(after["entry_price"]))
    expect(preview.get_by_test_id("remove-cooldown")).to_have_text("none")
    check_accessible(page)
    shots(page, "remove-preview")
    page.get_by_role("button", name="Remove liquidity").click()
    expect(page.get_by_test_id("remove-done")).to_be_visible()
    expect(page.get_by_test_id("removed-shares")).to_have_text(base(held))
    acct = account(site, "remy")
    position = next(p for p in acct["drift"][0]["positions"] if p["market"] == MARKET)
    assert position["lp_shares"] == 0
    assert position["base_asset_amount"] == after["base_asset_amount"]
    assert position["quote_asset_amount"] == after["quote_asset_amount"]
    expect(page.get_by_test_id("after-position")).to_have_text(f"{base(position['base_asset_amount'])} SOL")
    expect(page.get_by_test_id("after-free")).to_have_text(usd(acct["drift"][0]["free_collateral"]))
    shots(page, "removed")


def test_the_performance_page(site, page, shots):
    page.goto(f"{site.url}/bal")
    page.get_by_test_id(f"featured-{MARKET}").get_by_role("link", name=MARKET, exact=True).click()  # the card
    expect(page).to_have_url(f"{site.url}/bal/{MARKET}")
    page.go_back()
    page.get_by_role("link", name=f"View performance of {MARKET}").click()
    expect(page).to_have_url(f"{site.url}/bal/{MARKET}")
    check_accessible(page)
    with site.api() as http:
        view = http.get(f"/api/v1/markets/{MARKET}").json()
        perf30 = http.get(f"/api/v1/markets/{MARKET}/performance", params={"window_days": 30}).json()
    expect(page.get_by_test_id("perf-7d")).to_have_text(pct(view["bal"]["perf_7d"]["return_pct"]))
    expect(page.get_by_test_id("perf-30d")).to_have_text(pct(view["bal"]["perf_30d"]["return_pct"]))
    expect(page.get_by_test_id("apr-30d")).to_have_text(pct(view["bal"]["perf_30d"]["apr_pct"]))
    expect(page.get_by_test_id("index-change")).to_have_text(usd(perf30["performance"]["index_change_quote"], 6))
    expect(page.get_by_test_id("liquidity")).to_have_text(usd(view["bal"]["total_liquidity_quote"]))
    expect(page.get_by_test_id("total-shares")).to_have_text(base(view["bal"]["total_shares"]))
    expect(page.get_by_test_id("oracle")).to_have_text(price(view["oracle_price"]))
    chart = page.locator("#bal-perf-chart")
    expect(chart.locator("canvas").first).to_be_visible()  # the chart is drawn
    points = page.evaluate("JSON.parse(document.getElementById('bal-perf-chart').dataset.chart).x.length")
    assert points == len(perf30["series"]) > 1
    shots(page, "performance-30d")
    page.get_by_role("link", name="7 days").click()
    expect(page).to_have_url(f"{site.url}/bal/{MARKET}?days=7")
    expect(page.locator("#bal-perf-chart canvas").first).to_be_visible()
    page.goto(f"{site.url}/bal/NOPE-PERP")
    expect(page.get_by_role("alert")).to_contain_text("no market 'NOPE-PERP'")
