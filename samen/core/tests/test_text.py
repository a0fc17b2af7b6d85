"""render_markdown runs in gunicorn's threads: renders happening at the same time must not mix."""

import sys
import threading

from samen.core.text import render_markdown

THREADS = 8
RENDERS_PER_THREAD = 40


def document(n: int) -> str:
    """A document that exercises the parser's state (lists, tables, code) and is unique to `n`."""
    rows = "\n".join(f"| cell {n}-{row} | {row * n} |" for row in range(12))
    items = "\n".join(f"{item}. step {item} of document {n} with **bold {n}**" for item in range(1, 15))
    return (
        f"# Document {n}\n\n"
        + f"Paragraph of document {n}, with *emphasis* and a [link](https://example.org/{n}).\n\n" * 6
        + f"{items}\n\n| Name | Value |\n|---|---|\n{rows}\n\n"
        + f"```\ncode for document {n}\n```\n\n> quoted {n}\n"
    )


def test_concurrent_renders_of_different_documents_each_come_out_exactly_right():
    sources = [document(n) for n in range(THREADS)]
    # Rendered one at a time first: what every concurrent render must reproduce byte for byte.
    expected = [str(render_markdown(source)) for source in sources]
    assert len(set(expected)) == THREADS

    start = threading.Barrier(THREADS)
    outputs: list[list[str]] = [[] for _ in range(THREADS)]
    errors: list[BaseException] = []

    def work(n: int) -> None:
        start.wait()
        try:
            for _ in range(RENDERS_PER_THREAD):
                outputs[n].append(str(render_markdown(sources[n])))
        except BaseException as error:  # noqa: BLE001 - reported by the main thread's assertion
            errors.append(error)

    # Switch threads as often as CPython allows, so renders interleave on every run, not by luck.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)

    assert errors == []
    for n in range(THREADS):
        assert len(outputs[n]) == RENDERS_PER_THREAD
        wrong = [output for output in outputs[n] if output != expected[n]]
        assert wrong == [], f"document {n}: {len(wrong)} of {RENDERS_PER_THREAD} renders were wrong"


def test_a_header_line_has_no_line_breaks_or_controls():
    from samen.core.text import single_line

    assert single_line("Paint the\r\nschool\n\nwalls") == "Paint the school walls"
    assert single_line("a\u2028b\u2029c\x85d\x0be\x00f\tg") == "a b c d e f g"
    assert single_line("  spaced   out  ") == "spaced out"
    assert single_line("x" * 300, 255) == "x" * 254 + "…"
    assert len(single_line("x" * 300, 255)) == 255
