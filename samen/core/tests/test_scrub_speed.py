"""The scrubber runs on every report save and on every row of a bulk import: it must stay cheap.

Prints the CPU time per description for typical texts; fails only on a pathological slowdown (a
regular expression that backtracks, the slow matcher run on whole texts), not on a busy machine.
"""

import time

from samen.core.scrub import scrub_contacts

TYPICAL = {
    "plain": "The road to Jacmel is blocked near the bridge at Gressier, trucks cannot pass since this morning.",
    "numbers, no phone": (
        "Time: 2010-01-16 14:45:49 | latitude: 18.533333 | longitude: -72.333333 | Nou bezwen dlo ak manje "
        "pou 40 fanmi nan Delmas 33, 12 timoun blese."
    ),
    "with a phone": "Nou bezwen dlo ak manje nan Kafou Fèy pou 40 fanmi, rele m nan 3701-4545 oswa 3458 2290 mesi",
    "long report": ("Distribution at Champ de Mars on 2010-01-20 at 09:30 for 3,000 families. " * 30).strip(),
}
ROUNDS = 300
LIMIT_MICROSECONDS = 3000


def cpu_microseconds(text: str) -> float:
    scrub_contacts(text, region="HT")
    started = time.process_time()
    for _ in range(ROUNDS):
        scrub_contacts(text + " ", region="HT")
    return (time.process_time() - started) / ROUNDS * 1e6


def test_scrubbing_a_typical_description_takes_microseconds(capsys):
    figures = {name: cpu_microseconds(text) for name, text in TYPICAL.items()}
    with capsys.disabled():
        print("\nscrub CPU time per description: " + ", ".join(f"{k} {v:.0f} µs" for k, v in figures.items()))
    assert max(figures.values()) < LIMIT_MICROSECONDS, figures
