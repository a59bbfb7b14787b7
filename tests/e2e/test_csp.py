"""The Content-Security-Policy in a real browser: every page type, the admin and the API docs
work under ``script-src 'self'`` and ``style-src 'self'`` with not one violation.

Violations are caught two ways: a ``securitypolicyviolation`` listener that an init script
puts in every document before the page's own scripts run (the browser injects init scripts
itself; the page's CSP does not apply to them), and Chromium's console messages about the
policy. A test that could not see a violation would prove nothing, so one page is first
made to break the policy on purpose and must be caught.
"""

from __future__ import annotations

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from tests.security_pages import page_types

pytestmark = pytest.mark.e2e

RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.violatedDirective} blocked ${event.blockedURI || "inline"} ` +
      `(${event.sourceFile || ""}:${event.lineNumber || ""})`
  );
});
"""


def sign_in_as(page: Page, live_server, user) -> None:
    """The session of ``user``, handed to the browser as its cookie (signing in through the
    form is what the other browser tests do; here the pages are the subject)."""
    page.context.clear_cookies()
    if user is None:
        return
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": live_server.url}])


def watch(page: Page) -> list[str]:
    console: list[str] = []
    page.add_init_script(RECORD_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return console


def violations(page: Page, console: list[str]) -> list[str]:
    return list(page.evaluate("window.__cspViolations || []")) + console


def test_a_violation_would_be_seen(page: Page, live_server, tree, people):
    console = watch(page)
    page.goto("/accounts/login/")
    # What an inline handler or a <style> in a template would do.
    page.evaluate(
        """() => {
          const style = document.createElement("style");
          style.textContent = "body { color: red }";
          document.head.appendChild(style);
        }"""
    )
    page.wait_for_function("window.__cspViolations.length > 0")
    assert any("style-src" in found for found in violations(page, console))


def test_every_page_type_works_under_the_policy_with_no_violation(
    page: Page, live_server, tree, people, settings
):
    # Tests run without collectstatic: the live server serves the static files from the
    # finders, as WhiteNoise serves the collected ones in production.
    settings.WHITENOISE_USE_FINDERS = True
    console = watch(page)
    seen: dict[str, list[str]] = {}
    for page_type in page_types(tree, people):
        sign_in_as(page, live_server, page_type.user)
        console.clear()
        response = page.goto(page_type.path)
        assert response is not None
        assert response.status == 200, (page_type.name, response.status)
        assert response.headers.get("content-security-policy"), page_type.name
        expect(page.locator(page_type.drawn).first).to_be_visible()
        page.wait_for_load_state("networkidle")
        seen[page_type.name] = violations(page, console)
    assert seen == dict.fromkeys(seen, []), {name: found for name, found in seen.items() if found}


def test_the_api_docs_render_their_operations_under_the_policy(
    page: Page, live_server, tree, people, settings
):
    settings.WHITENOISE_USE_FINDERS = True
    console = watch(page)
    page.goto("/api/v1/docs/")
    # Swagger UI drew the document it fetched: the title and the operations.
    expect(page.locator("#swagger-ui .information-container .title")).to_contain_text(
        "新时代文明实践中心门户 API"
    )
    expect(page.locator("#swagger-ui .opblock").first).to_be_visible()
    assert page.locator("#swagger-ui .opblock").count() > 10
    page.locator("#swagger-ui .opblock-summary").first.click()
    expect(page.locator("#swagger-ui .opblock-body").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    assert violations(page, console) == []
