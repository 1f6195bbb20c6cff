"""The Insurance fund page in a real browser: the fund's numbers against the API, stake, a
refused stake, request an unstake, the cooldown countdown, cancel, request again, step the clock
past the unstaking period, unstake; bad amounts say why next to the field and change nothing."""

from __future__ import annotations

import json
import re

from playwright.sync_api import Page, expect

from ballast.web.format import duration, usd, utc
from ballast.web.pages.insurance import factor_pct, shares
from tests.web.conftest import PASSWORD, sign_up

MAX_STEPS = 10_000  # the most one admin step request may ask for


def _text(page: Page, testid: str) -> str:
    return page.get_by_test_id(testid).first.inner_text().strip()


def _state(site, http) -> tuple[dict, dict]:
    """(the user's account, the fund) through the API (`http` signed in as the user)."""
    user = http.get("/api/v1/me").json()["username"]
    return http.get(f"/api/v1/accounts/{user}").json(), site.api().get("/api/v1/insurance").json()


def _step(site, steps: int) -> None:
    while steps > 0:
        site.step(min(steps, MAX_STEPS))
        steps -= MAX_STEPS


def _submit(page: Page, label: str, value: str, button: str) -> None:
    page.get_by_label(label).fill(value)
    page.get_by_role("button", name=button, exact=True).click()


def test_stake_request_cancel_wait_out_the_cooldown_and_unstake(site, page, shots):
    sign_up(page, site, "ingrid")
    http = site.api(site.user_key("ingrid", PASSWORD))
    page.goto(f"{site.url}/insurance")

    # the fund, as the API reports it
    fund = site.api().get("/api/v1/insurance").json()
    assert _text(page, "if-balance") == usd(fund["vault_amount"])
    assert _text(page, "unstaking-period") == duration(fund["unstaking_period"]) == "13d 00h 00m"
    assert _text(page, "revenue-pool") == usd(fund["revenue_pool"])
    assert _text(page, "next-settle-amount") == usd(fund["next_settle_amount"])
    assert _text(page, "next-settle-at") == utc(fund["next_settle_ts"])
    assert _text(page, "settle-cap") == usd(fund["apr_cap_per_settle"])
    assert _text(page, "if-apr") == factor_pct(fund["projected_apr"])
    assert _text(page, "user-if-factor") == factor_pct(fund["user_if_factor"])
    assert _text(page, "total-if-factor") == factor_pct(fund["total_if_factor"])
    assert _text(page, "stakers-share") == f"{fund['stakers_share_pct']:.2f}%"
    assert _text(page, "total-shares") == shares(fund["total_shares"], 2)
    expect(page.get_by_test_id("no-stake")).to_be_visible()
    shots(page, "fund-before-staking")

    # bad amounts: the message next to the field, nothing changes
    before = _state(site, http)
    for bad, message in (("-5", "must be more than zero"), ("0", "must be more than zero"),
                         ("ten", "is not a number"), ("1.0000001", "at most 6 decimals"),
                         ("99999999999999999999", "must be at most")):
        _submit(page, "Amount to stake (USDC)", bad, "Stake")
        expect(page.locator("[data-error-for=stake_amount]")).to_contain_text(message)
    shots(page, "stake-refused-next-to-the-field")
    assert _state(site, http) == before

    # stake $1,000
    _submit(page, "Amount to stake (USDC)", "1000", "Stake")
    expect(page.get_by_test_id("notice")).to_have_text("Staked $1,000.00 in the insurance fund.")
    account, fund = _state(site, http)
    stake = account["insurance"]
    assert stake["value"] == 1_000_000_000
    assert _text(page, "stake-shares") == shares(stake["if_shares"])
    assert _text(page, "stake-value") == usd(stake["value"])
    assert _text(page, "stake-cost-basis") == usd(stake["cost_basis"])
    assert _text(page, "if-balance") == usd(fund["vault_amount"])
    assert _text(page, "settle-cap") == usd(fund["apr_cap_per_settle"])
    expect(page.get_by_test_id("cap-status")).to_have_text("held to the cap" if fund["next_settle_amount"] and
                                                           fund["revenue_pool"] // 10 > fund["apr_cap_per_settle"]
                                                           else "under the cap")
    shots(page, "staked")

    # request more than the stake, or nothing: refused next to the field
    before = _state(site, http)
    for bad, message in (("1000.01", "must be at most 1000 USDC"), ("0", "must be more than zero"),
                         ("1,0.0.0", "is not a number")):
        _submit(page, "Amount to unstake (USDC)", bad, "Request unstake")
        expect(page.locator("[data-error-for=unstake_amount]")).to_contain_text(message)
    assert _state(site, http) == before

    # request $250: the cooldown, with its date and the time left
    _submit(page, "Amount to unstake (USDC)", "250", "Request unstake")
    expect(page.get_by_test_id("pending-request")).to_be_visible()
    stake = _state(site, http)[0]["insurance"]
    assert stake["requested_amount"] == 250_000_000
    assert _text(page, "request-amount") == usd(stake["requested_amount"])
    assert _text(page, "request-shares") == shares(stake["requested_shares"])
    assert _text(page, "available-at") == utc(stake["available_ts"])
    assert _text(page, "cooldown-left") == duration(stake["cooldown_seconds_left"]) == "13d 00h 00m"
    assert _text(page, "unstake-now") == usd(stake["unstake_amount_now"])
    expect(page.get_by_role("button", name=re.compile(r"^Unstake \$"))).to_have_count(0)
    shots(page, "cooldown")

    # staking more while a request is pending: the engine refuses, nothing changes
    before = _state(site, http)
    _submit(page, "Amount to stake (USDC)", "10", "Stake")
    expect(page.get_by_role("alert").filter(has_text="withdraw request in progress")).to_be_visible()
    shots(page, "engine-refusal")
    assert _state(site, http) == before

    # cancel the request
    page.get_by_role("button", name="Cancel request").click()
    expect(page.get_by_test_id("notice")).to_contain_text("Cancelled the unstake request")
    expect(page.get_by_test_id("pending-request")).to_have_count(0)
    assert _state(site, http)[0]["insurance"]["requested_shares"] == 0

    # request again, then wait out the cooldown (the countdown moves with the exchange clock)
    _submit(page, "Amount to unstake (USDC)", "250", "Request unstake")
    expect(page.get_by_test_id("pending-request")).to_be_visible()
    _step(site, 6 * 24 * 60)
    page.reload()
    stake = _state(site, http)[0]["insurance"]
    assert _text(page, "cooldown-left") == duration(stake["cooldown_seconds_left"]) == "7d 00h 00m"
    _step(site, 7 * 24 * 60)
    page.reload()
    account, fund = _state(site, http)
    stake = account["insurance"]
    assert stake["cooldown_seconds_left"] == 0
    assert _text(page, "cooldown-left") == "ready"
    assert _text(page, "stake-value") == usd(stake["value"])
    assert _text(page, "if-balance") == usd(fund["vault_amount"])

    # the stake's value over time: sampled every 15 minutes, ending at the value now
    spec = json.loads(page.locator("#stake-chart").get_attribute("data-chart"))
    assert len(spec["x"]) >= 13 * 24 * 4  # every 15 minutes of the 13 days waited
    assert spec["series"][0]["values"][-1] == stake["value"] / 1e6
    expect(page.locator("#stake-chart canvas").first).to_be_visible()
    shots(page, "cooldown-over")

    # unstake
    page.get_by_role("button", name=f"Unstake {usd(stake['unstake_amount_now'])}").click()
    expect(page.get_by_test_id("notice")).to_have_text(f"Unstaked: {usd(stake['unstake_amount_now'])} paid to your wallet.")
    after = _state(site, http)[0]["insurance"]
    assert after["requested_shares"] == 0
    assert after["value"] == stake["value"] - stake["unstake_amount_now"]
    assert _text(page, "stake-value") == usd(after["value"])
    shots(page, "unstaked")


def test_the_fund_is_public_and_asks_visitors_to_sign_in(site, page, shots):
    page.goto(f"{site.url}/insurance")
    fund = site.api().get("/api/v1/insurance").json()
    assert _text(page, "if-balance") == usd(fund["vault_amount"])
    expect(page.get_by_role("link", name="Log in").last).to_be_visible()
    expect(page.get_by_label("Amount to stake (USDC)")).to_have_count(0)
    shots(page, "public")
