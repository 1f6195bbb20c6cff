"""Sign up, log in and out, the theme, refusals next to the field: in a real browser."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.web.conftest import PASSWORD, sign_up


def test_sign_up_log_out_and_log_in_again(site, page, shots):
    sign_up(page, site, "walter")
    expect(page.get_by_test_id("username")).to_have_text("walter")
    shots(page, "signed-up")
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto(f"{site.url}/login")
    page.get_by_label("Username").fill("walter")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Log in").click()
    expect(page.locator("[data-error-for=password]")).to_have_text("unknown username or wrong password")
    shots(page, "wrong-password")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_test_id("username")).to_have_text("walter")
    with site.api(site.user_key("walter", PASSWORD)) as http:
        assert http.get("/api/v1/me").json()["username"] == "walter"


def test_bad_signups_say_why_next_to_the_field(site, page, shots):
    page.goto(f"{site.url}/signup")
    page.get_by_label("Username").fill("No Spaces")
    page.get_by_label("Password").fill("short")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("[data-error-for=username]")).to_contain_text("lowercase letters")
    expect(page.locator("[data-error-for=password]")).to_contain_text("at least 10 characters")
    shots(page, "refused")
    assert site.db.user_by_name("No Spaces") is None


def test_the_theme_is_remembered_for_a_signed_in_user(site, page, shots):
    sign_up(page, site, "theodora")
    html = page.locator("html")
    expect(html).to_have_attribute("data-theme", "dark")
    page.get_by_role("button", name="Light theme").click()
    expect(html).to_have_attribute("data-theme", "light")
    page.wait_for_timeout(300)  # the setting's POST
    page.reload()
    expect(html).to_have_attribute("data-theme", "light")
    shots(page, "light")
    with site.api(site.user_key("theodora", PASSWORD)) as http:
        assert http.get("/api/v1/me").json()["settings"]["theme"] == "light"
