"""``make bench-offer-guard``: the offer guard against its corpus, and its speed.

Runs ``offer_violations`` over every sentence in
``tests/emails/data/offer_corpus.py`` and prints the counts (offers caught,
innocent sentences let through) with each miss and false alarm, then the time
the guard takes on a typical 200-word draft. No database. Target: zero misses,
zero false alarms, a few milliseconds per draft.
"""

from __future__ import annotations

import argparse
import sys
import timeit
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from emails.drafting.offer_guard import offer_violations  # noqa: E402
from tests.emails.data.offer_corpus import INNOCENT, OFFERS  # noqa: E402

# A clean 200-word draft: the guard has to read all of it.
DRAFT = (
    "A few pieces picked for you\nYour stylist has some ideas for the new season\n"
    "Hi Ana,\n\nIt has been a little while since your last Fix, and I have been "
    "keeping an eye out for pieces that suit the relaxed, classic looks you loved. "
    "The denim jacket you kept would pair beautifully with a few things I have in "
    "mind: a soft merino knit in a warm rust, a pair of wide-leg trousers that "
    "work for the office and the weekend, and a printed midi skirt that feels "
    "easy rather than fussy. You told me last time that the blouses ran a little "
    "long, so I have noted that and will look for cropped or tuck-friendly cuts. "
    "Feel free to reply with anything that has changed, whether it is a new job, "
    "a trip coming up or simply a colour you are tired of. If you are free for a "
    "quick chat, I am around most afternoons this week. I would love to hear how "
    "the green dress worked out at the wedding, and whether the boots have been "
    "comfortable on longer days. When you are ready, just schedule your next Fix "
    "and I will take it from there. There is no rush at all; your closet should "
    "feel like yours, and I am happy to go at your pace.\n\nWarmly,\nMaya"
)


def corpus_check() -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Return the offers the guard missed and the innocent sentences it flagged."""
    missed = [text for text in OFFERS if not offer_violations(text)]
    false_alarms = [
        (text, found) for text in INNOCENT if (found := offer_violations(text))
    ]
    return missed, false_alarms


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--repeat", type=int, default=500, help="timing runs over the sample draft"
    )
    args = parser.parse_args()
    missed, false_alarms = corpus_check()
    print(
        f"offers: {len(OFFERS)}, missed: {len(missed)}; "
        f"innocent: {len(INNOCENT)}, false alarms: {len(false_alarms)}"
    )
    for text in missed:
        print(f"  missed:      {text!r}")
    for text, found in false_alarms:
        print(f"  false alarm: {text!r} -> {found}")
    words = len(DRAFT.split())
    seconds = min(
        timeit.repeat(lambda: offer_violations(DRAFT), number=args.repeat, repeat=5)
    )
    print(f"time: {seconds / args.repeat * 1000:.2f} ms per {words}-word draft")


if __name__ == "__main__":
    main()
