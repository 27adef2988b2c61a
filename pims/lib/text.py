"""Small text predicates for typed input."""


def is_ascii_digits(text: str) -> bool:
    """Only 0-9: str.isdigit() also accepts '²' and other digits int() refuses."""
    return bool(text) and text.isascii() and text.isdigit()
