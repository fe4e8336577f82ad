"""The web chat's Sources panel in real headless Chromium: follow a feed and see its poll,
upload a file and watch its job, and the API key's refusal shown as the server words it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import chromium
from tests.feedserver import serving
from tests.test_feeds import news_site

KEY = "ui-sources-key-5521"


def open_panel(driver: WebDriver, url: str) -> None:
    driver.get(url)
    WebDriverWait(driver, 20).until(lambda d: "article" in d.find_element(By.ID, "status").text)
    assert not driver.find_element(By.ID, "sources").is_displayed()
    driver.find_element(By.ID, "sources-toggle").click()
    assert driver.find_element(By.ID, "sources").is_displayed()


def test_follow_a_feed_and_upload_a_file(serve: Callable[..., str], tmp_path: Path) -> None:
    with serving() as site, chromium() as driver:
        feed_url = news_site(site)
        url = serve(allow_private_urls=True, fetch_host_interval=0, api_key=KEY)
        open_panel(driver, url)
        WebDriverWait(driver, 10).until(
            lambda d: "No feeds" in d.find_element(By.ID, "feed-list").text)
        driver.find_element(By.ID, "feed-url").send_keys(feed_url)
        driver.find_element(By.CSS_SELECTOR, "#add-feed button").click()
        WebDriverWait(driver, 10).until(
            lambda d: "needs Authorization: Bearer <QA_API_KEY>" in
            d.find_element(By.ID, "sources-message").text)
        driver.find_element(By.CSS_SELECTOR, "#sources details summary").click()
        driver.find_element(By.ID, "api-key").send_keys(KEY)
        driver.find_element(By.CSS_SELECTOR, "#add-feed button").click()
        WebDriverWait(driver, 60).until(
            lambda d: "2 new" in d.find_element(By.CSS_SELECTOR, ".feed-status").text)
        feed = driver.find_element(By.CSS_SELECTOR, ".feed")
        assert feed.get_attribute("data-url") == feed_url
        assert "Fjord Gazette" in feed.text and "ok · 2 new, 0 updated, 0 failed" in feed.text
        assert "Poll done: 2 new" in driver.find_element(By.ID, "job-progress").text
        WebDriverWait(driver, 10).until(
            lambda d: d.find_element(By.ID, "status").text.startswith("3 articles"))

        story = tmp_path / "tide.txt"
        story.write_text("Tide tables change\nThe harbour office published new tide tables "
                         "for the fjord on Friday.\n")
        odd = tmp_path / "scan.pdf"
        odd.write_bytes(b"%PDF-1.4")
        driver.find_element(By.ID, "upload-file").send_keys(f"{story}\n{odd}")
        driver.find_element(By.CSS_SELECTOR, "#upload button").click()
        WebDriverWait(driver, 60).until(
            lambda d: d.find_element(By.ID, "job-progress").text.startswith("Upload done"))
        progress = driver.find_element(By.ID, "job-progress").text
        assert "1 new, 0 updated, 0 unchanged, 1 failed" in progress, progress
        assert driver.find_element(By.ID, "job-failures").text == (
            "scan.pdf: unsupported file type .pdf")
        WebDriverWait(driver, 10).until(
            lambda d: d.find_element(By.ID, "status").text.startswith("4 articles"))
        assert driver.find_element(By.ID, "sources-message").text == ""
