"""The verification step: paraphrases pass, a changed detail fails and is named."""

from __future__ import annotations

import pytest

from gateway.cache.verify import details, verify


@pytest.mark.parametrize(
    ("stored", "query"),
    [
        ("How do I reverse a list in Python?", "how can I reverse a list in python"),
        ("Convert 5 kilometers to miles.", "What is 5 kilometers in miles?"),
        ("How do I convert a string to an integer in Java?", "Convert a String to an int in Java"),
        ("What are the benefits of regular exercise?", "Benefits of exercising regularly?"),
        ("How do I merge two dictionaries in Python?", "Best way to merge two dicts in Python?"),
        ("Translate 'good morning' into Spanish.", 'Translate "good morning" to Spanish'),
        ("Why doesn't my code compile?", "Why does my code not compile?"),
        ("What is ten percent of 200?", "What's 10% of 200?"),
        (
            "How do I open a port in the Ubuntu firewall?",
            "How can I open a port in Ubuntu's firewall?",
        ),
        ("Convert a string to an integer.", "How do I get an integer from a string?"),
    ],
)
def test_paraphrases_pass(stored: str, query: str) -> None:
    verdict = verify(details(stored), details(query))
    assert verdict.ok, verdict.reason


@pytest.mark.parametrize(
    ("stored", "query", "reason"),
    [
        ("What is the square root of 144?", "What is the square root of 169?", "number"),
        ("Give me three tips for sleep.", "Give me five tips for sleep.", "number"),
        ("Give me 3 tips for sleep.", "Give me three tips for sleep and a 4th.", "number"),
        ("Reverse the list [1, 2, 3].", "Reverse the list [3, 2, 1].", "number"),
        ("What is the 5th largest country?", "What is the sixth largest country?", "number"),
        ("Convert 10 kilometers to miles.", "Convert 10 kilometers to meters.", "unit"),
        ("Set a timeout of 30 seconds.", "Set a timeout of 30 ms.", "unit"),
        ("Convert 50 USD to euros.", "Convert 50 USD to yen.", "unit"),
        ('Translate "good morning" into Spanish.', 'Translate "good night" into Spanish.', "quote"),
        ("Is 'racecar' a palindrome?", "Is 'racecars' a palindrome?", "quote"),
        ("Explain `ls -la`.", "Explain `ls -lh`.", "quote"),
        ("Which foods are high in fiber?", "Which foods are not high in fiber?", "negation"),
        (
            "Write a function that uses recursion.",
            "Write a function without recursion.",
            "negation",
        ),
        ("Is Python compiled?", "Isn't Python compiled?", "negation"),
        ("What is the capital of France?", "What is the capital of Germany?", "name"),
        ("How do I read a CSV with pandas?", "How do I read a CSV with Polars?", "name"),
        ("Call os.path.join correctly", "Call os.path.split correctly", "name"),
        ("Explain the python3 changes", "Explain the python2 changes", "name"),
        (
            "Convert a string to an integer in Python.",
            "Convert an integer to a string in Python.",
            "direction",
        ),
        (
            "Translate from English to French: hi",
            "Translate from French to English: hi",
            "direction",
        ),
        ("Convert 100 Celsius to Fahrenheit.", "Convert 100 Fahrenheit to Celsius.", "direction"),
        ("Convert to JSON from XML.", "Convert JSON to XML.", "direction"),
        ("Sort the list in ascending order.", "Sort the list in descending order.", "opposite"),
        ("How do I encrypt a file with GPG?", "How do I decrypt a file with GPG?", "opposite"),
        ("Find the maximum of an array.", "Find the minimum of an array.", "opposite"),
        ("How do I merge two dictionaries?", "How do I merge two lists?", "substitution"),
        ("Write a poem about the ocean.", "Write a story about the ocean.", "substitution"),
    ],
)
def test_a_changed_detail_fails(stored: str, query: str, reason: str) -> None:
    assert verify(details(stored), details(query)).reason == reason
    assert not verify(details(query), details(stored)).ok  # either way round


def test_identical_prompts_pass() -> None:
    text = "Convert 3 'kg' to lbs without rounding, then from lbs to oz."
    assert verify(details(text), details(text)).ok


@pytest.mark.parametrize(
    ("text", "numbers"),
    [
        ("1,000 or 1000 or one thousand", ("1000", "1000", "1000")),
        ("a dozen eggs and half a cup", ("12", "0.5")),
        ("3.50 and 3.5", ("3.5", "3.5")),
        ("the 2nd and the second", ("#2", "#2")),
    ],
)
def test_numbers_are_compared_by_value(text: str, numbers: tuple[str, ...]) -> None:
    assert details(text).numbers == numbers


def test_units_after_a_number_only_when_the_word_is_ambiguous() -> None:
    assert details("Run 5 m then 2 s").units == {"m", "s"}
    assert details("What is the second letter in m?").units == set()
    assert details("It is 30 °C outside").units == {"celsius"}
