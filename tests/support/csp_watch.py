"""Collect Content-Security-Policy violations from every page a browser opens.

``csp_violations_collect(browser)`` makes each later ``browser.new_page()`` report
its ``securitypolicyviolation`` events and the console's CSP messages into the
returned list; a browser test's fixture asserts the list is empty at the end.
"""

from __future__ import annotations

from typing import Any

_LISTEN = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation(
    `${e.effectiveDirective} blocked ${e.blockedURI || "inline"} ` +
    `at ${e.sourceFile || document.location.href}:${e.lineNumber}`
  );
});
"""


def _is_csp_message(text: str) -> bool:
    return "Content Security Policy" in text or "Content-Security-Policy" in text


def csp_violations_collect(browser: Any) -> list[str]:
    """Return a list that fills with the CSP violations of the browser's pages."""
    found: list[str] = []
    new_page = browser.new_page

    def watched_new_page(*args: Any, **kwargs: Any) -> Any:
        page = new_page(*args, **kwargs)
        page.expose_function("__cspViolation", lambda text: found.append(text))
        page.add_init_script(_LISTEN)
        page.on(
            "console",
            lambda message: (
                found.append(f"console: {message.text}")
                if _is_csp_message(message.text)
                else None
            ),
        )
        return page

    browser.new_page = watched_new_page
    return found
