"""The web chat UI in real headless Chromium against the real service."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.browser import chromium, page_scripts
from tests.fake_llm import ScriptedLLM, Step, reply_citing
from tests.test_api import QUESTION

ANSWERED = ".msg.assistant:not(.streaming):not(.user)"


def ask_in_page(driver: WebDriver, url: str, question: str) -> Any:
    driver.get(url)
    WebDriverWait(driver, 20).until(
        lambda d: "article" in d.find_element(By.ID, "status").text)
    box = driver.find_element(By.ID, "question")
    box.send_keys(question)
    box.send_keys(Keys.ENTER)
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ANSWERED))
    return driver.find_elements(By.CSS_SELECTOR, ANSWERED)[-1]


def api_answer(url: str, question: str) -> dict[str, Any]:
    messages = [{"role": "user", "content": question}]
    response = httpx.post(f"{url}/api/chat", json={"messages": messages}, timeout=30)
    return dict(response.json())


def open_citation(driver: WebDriver, message: Any, number: int = 1) -> str:
    message.find_element(By.CSS_SELECTOR, f'.cite[data-citation="{number}"]').click()
    WebDriverWait(driver, 20).until(
        lambda d: d.find_elements(By.ID, "highlight")
        and d.find_element(By.ID, "highlight").get_attribute("textContent"))
    return str(driver.find_element(By.ID, "highlight").get_attribute("textContent"))


def in_view(driver: WebDriver, element_id: str) -> bool:
    return bool(driver.execute_script(
        "const r = document.getElementById(arguments[0]).getBoundingClientRect();"
        "return r.height > 0 && r.top >= 0 && r.bottom <= window.innerHeight;", element_id))


def test_a_cited_answer_opens_the_quoted_span(seeded_url: str) -> None:
    expected = api_answer(seeded_url, QUESTION)
    with chromium() as driver:
        message = ask_in_page(driver, seeded_url, QUESTION)
        assert "four people" in message.find_element(By.CLASS_NAME, "answer").text
        source = message.find_element(By.CSS_SELECTOR, ".sources li").text
        assert source.startswith("[1] " + expected["citations"][0]["title"][:40])
        highlighted = open_citation(driver, message)
        assert highlighted == expected["citations"][0]["quote"]
        assert in_view(driver, "highlight")
        title = driver.find_element(By.ID, "reader-title").text
        assert title == expected["citations"][0]["title"]


def test_a_refusal_looks_like_one(seeded_url: str) -> None:
    with chromium() as driver:
        message = ask_in_page(driver, seeded_url, "Who won the 1998 football World Cup?")
        assert "refused" in str(message.get_attribute("class"))
        assert "do not answer" in message.text
        assert not message.find_elements(By.CSS_SELECTOR, ".cite")


def test_a_refusal_shows_the_nearest_sentence_apart(seeded_url: str) -> None:
    question = "On what date did NATO approve the additional deployment?"
    expected = api_answer(seeded_url, question)["closest"]
    with chromium() as driver:
        message = ask_in_page(driver, seeded_url, question)
        assert "refused" in str(message.get_attribute("class"))
        closest = message.find_element(By.CLASS_NAME, "closest")
        assert expected["quote"] in closest.text and "NATO has approved" in closest.text
        closest.find_element(By.CSS_SELECTOR, "button.source").click()
        WebDriverWait(driver, 20).until(
            lambda d: d.find_elements(By.ID, "highlight")
            and d.find_element(By.ID, "highlight").get_attribute("textContent"))
        assert driver.find_element(By.ID, "highlight").get_attribute("textContent") == \
            expected["quote"]


def test_follow_up_uses_the_conversation(seeded_url: str) -> None:
    with chromium() as driver:
        ask_in_page(driver, seeded_url, "What did NATO approve?")
        box = driver.find_element(By.ID, "question")
        box.send_keys("Who welcomed it?" + Keys.ENTER)
        WebDriverWait(driver, 30).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ANSWERED)) == 2)
        assert len(driver.find_elements(By.CSS_SELECTOR, ".msg.user")) == 2


def test_hostile_article_text_renders_inert(serve: Callable[..., str]) -> None:
    url = serve(seed=False)
    title = 'Harbour <img src=x onerror="window.__pwned=1"> <script>window.__pwned=2</script>'
    text = ("Ferry traffic 🚢🚢 was busy 😀 all summer on the fjords. "
            "The harbour of Bergen reopened on Monday after a storm closed it for three days. "
            "<script>window.__pwned=3</script> <img src=x onerror=window.__pwned=4> "
            "Officials said the storm damaged two piers.")
    article = {"title": title, "text": text, "source": "<b onmouseover=alert(5)>Gazette</b>",
               "url": 'https://example.org/"><script>window.__pwned=6</script>'}
    scripted = httpx.post(f"{url}/api/articles", json=article | {"url": "javascript:alert(7)"})
    assert scripted.status_code == 422 and "http:// or https://" in scripted.text
    report = httpx.post(f"{url}/api/articles", json=article, timeout=60)
    assert report.status_code == 200, report.text
    question = "When did the harbour of Bergen reopen?"
    expected = api_answer(url, question)
    with chromium() as driver:
        message = ask_in_page(driver, url, question)
        assert open_citation(driver, message) == expected["citations"][0]["quote"]
        assert driver.find_element(By.ID, "reader-title").get_attribute("textContent") == title
        assert "<script>" in str(driver.find_element(By.ID, "reader-text")
                                 .get_attribute("textContent"))
        driver.find_element(By.CSS_SELECTOR, ".sources button").click()
        assert driver.execute_script("return window.__pwned") is None
        assert driver.execute_script("return document.querySelectorAll('img').length") == 0
        assert page_scripts(driver) == [f"{url}/static/app.js", f"{url}/static/sources.js"]
        link = driver.find_element(By.CSS_SELECTOR, "#reader-meta a")
        assert link.get_attribute("textContent") == article["url"]


def test_usable_at_phone_width(seeded_url: str) -> None:
    with chromium(width=390, height=844) as driver:
        message = ask_in_page(driver, seeded_url, QUESTION)
        overflow = "return document.documentElement.scrollWidth - window.innerWidth"
        assert driver.execute_script(overflow) <= 0
        assert driver.find_element(By.ID, "send").is_displayed()
        open_citation(driver, message)
        assert in_view(driver, "highlight")
        reader_width = driver.execute_script(
            "return document.getElementById('reader').getBoundingClientRect().width")
        assert reader_width == driver.execute_script("return window.innerWidth")
        assert driver.execute_script(overflow) <= 0
        driver.find_element(By.ID, "close-reader").click()
        assert not driver.find_element(By.ID, "reader").is_displayed()


def test_llm_answers_stream_in_and_unsupported_sentences_are_marked(
        serve: Callable[..., str], llm: ScriptedLLM) -> None:
    url = serve(llm_base_url=llm.url, llm_model="scripted", llm_timeout=5.0,
                llm_max_retries=0)
    reply_citing(llm, "Four people died in the shootout [{s}]. Nine others were hurt [{s}].",
                 s="death of four people")
    with chromium() as driver:
        message = ask_in_page(driver, url, QUESTION)
        flagged = message.find_elements(By.CSS_SELECTOR, ".sentence.unsupported")
        assert [f.text for f in flagged] == ["Nine others were hurt.(not supported by the "
                                             "articles)"]
        supported = message.find_element(By.CSS_SELECTOR, ".sentence:not(.unsupported)")
        assert supported.text == "Four people died in the shootout\u202f[1]."
        assert "death of four people" in open_citation(driver, message)


def test_new_chat_drops_the_answer_still_streaming(serve: Callable[..., str],
                                                   llm: ScriptedLLM) -> None:
    url = serve(llm_base_url=llm.url, llm_model="scripted", llm_timeout=10.0,
                llm_max_retries=0)
    llm.script.append(Step(content="Too late [1].", delay=2.0))
    reply_citing(llm, "NATO approved more forces for Kosovo [{s}].",
                 s="NATO has approved the deployment")
    with chromium() as driver:
        driver.get(url)
        WebDriverWait(driver, 20).until(
            lambda d: "article" in d.find_element(By.ID, "status").text)
        driver.find_element(By.ID, "question").send_keys(QUESTION + Keys.ENTER)
        WebDriverWait(driver, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".streaming"))
        driver.find_element(By.ID, "new-chat").click()
        box = driver.find_element(By.ID, "question")
        box.send_keys("What did NATO approve?" + Keys.ENTER)
        WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ANSWERED))
        time.sleep(2.5)  # let the dropped question's delayed upstream reply come back
        answers = driver.find_elements(By.CSS_SELECTOR, ".msg.assistant")
        assert len(answers) == 1 and "NATO approved" in answers[0].text
        assert len(driver.find_elements(By.CSS_SELECTOR, ".msg.user")) == 1
    second = llm.requests[-1]["messages"]
    assert [m["role"] for m in second] == ["system", "user"]  # no turn of the dropped chat


def test_a_model_answer_that_fails_the_checks_leaves_the_quotes_and_says_why(
        serve: Callable[..., str], llm: ScriptedLLM) -> None:
    url = serve(llm_base_url=llm.url, llm_model="scripted", llm_timeout=5.0,
                llm_max_retries=0)
    llm.reply("Twelve ministers resigned in protest [1].")
    with chromium() as driver:
        message = ask_in_page(driver, url, QUESTION)
        assert "four people" in message.find_element(By.CLASS_NAME, "answer").text
        assert "Twelve" not in message.text and not message.find_elements(By.CLASS_NAME, "draft")
        assert "did not pass the citation checks" in message.find_element(By.CLASS_NAME,
                                                                         "note").text
        assert "death of four people" in open_citation(driver, message)


def test_the_as_of_date_picker_defaults_to_today_and_dates_the_answer(seeded_url: str) -> None:
    from datetime import date

    with chromium() as driver:
        message = ask_in_page(driver, seeded_url, QUESTION)
        today = date.today()
        assert driver.find_element(By.ID, "as-of").get_attribute("value") == today.isoformat()
        assert message.find_element(By.CLASS_NAME, "when").text.startswith(
            f"As of {today.day} {today:%B %Y}.")
        picker = driver.find_element(By.ID, "as-of")  # another day: the answer says that one
        driver.execute_script("arguments[0].value = '2023-10-06';", picker)
        box = driver.find_element(By.ID, "question")
        box.send_keys(QUESTION)
        box.send_keys(Keys.ENTER)
        WebDriverWait(driver, 30).until(
            lambda d: len(d.find_elements(By.CSS_SELECTOR, ANSWERED)) == 2)
        second = driver.find_elements(By.CSS_SELECTOR, ANSWERED)[-1]
        assert second.find_element(By.CLASS_NAME, "when").text == "As of 6 October 2023."


def test_each_sentence_shows_its_support_and_who_checked_it(serve: Callable[..., str],
                                                            llm: ScriptedLLM) -> None:
    url = serve(llm_base_url=llm.url, llm_model="scripted", llm_timeout=5.0,
                llm_max_retries=0)
    reply_citing(llm, "Four people were killed in a shootout last weekend [{s}].",
                 s="death of four people")
    llm.judgements.append(0.9)  # the model's verdict on the paraphrase: supported
    with chromium() as driver:
        message = ask_in_page(driver, url, QUESTION)
        sentence = message.find_element(By.CSS_SELECTOR, ".sentence:not(.unsupported)")
        assert sentence.text.startswith("Four people were killed")
        assert float(sentence.get_attribute("data-support") or 0) >= 0.74
        title = sentence.get_attribute("title") or ""
        assert title.startswith("Supported") and "checked by the rules and scripted" in title
    assert len(llm.judge_requests) == 1


def test_reports_that_differ_are_listed_under_the_answer(serve: Callable[..., str]) -> None:
    """A vote postponed (``eval/datasets/updates.jsonl``, upd-07): the chat quotes both
    reports, the newest first, and says which date is the latest, with outlet and date."""
    import json
    from pathlib import Path

    cases = (Path(__file__).resolve().parents[1] / "eval/datasets/updates.jsonl").read_text()
    case = next(c for c in map(json.loads, cases.splitlines()) if c["id"] == "upd-07")
    url = serve(seed=False)
    for i, article in enumerate(case["articles"]):
        added = httpx.post(f"{url}/api/articles", timeout=60,
                           json=article | {"url": f"https://news.example/vote/{i}"})
        assert added.status_code == 200, added.text
    with chromium() as driver:
        message = ask_in_page(driver, url, case["question"])
        answer = message.find_element(By.CLASS_NAME, "answer").text
        assert answer.index("October 26") < answer.index("October 12")
        assert message.find_element(By.CLASS_NAME, "differs").text == (
            "Reports differ: 26 October 2023 (AP, 9 October 2023) [1], the latest; "
            "12 October 2023 (Reuters, 2 October 2023) [2].")
        assert "postponed to October 26" in open_citation(driver, message, 1)
