"""Ticket-like train/val pairs with planted text copies, flipped labels and recorded truth.

Shared by `audit demo --text`, the tests of checks/text and bench/bench_text.py. A ticket is about 40 words:
an optional greeting, three or four sentences, an optional closing. Sentences come from
templates with alternatives (``[a|b]``) and slots (``{product}``, ``{amount}`` ...), drawn
mostly from the ticket's own support queue, sometimes from a pool every queue shares and
sometimes from another queue: the four classes share vocabulary and overlap, as real queues
do. Greetings, closings and the shared pool are the template phrases different tickets have
in common, so a near-copy detector must tell them from real copies.

Planted, with each planted row's final position recorded after shuffling:

- train copies of train rows (``duplicates``) and val copies of train rows (``leaks``), of
  seven kinds: ``byte`` (identical), ``case_space`` (case and whitespace changed, trailing
  punctuation added), ``word1``/``word2`` (one or two words replaced), ``typo`` (one letter
  swapped, dropped or doubled), ``signature`` (a sign-off appended), ``cut`` (the last words
  removed, at most 10% of them). A copy keeps its source's priority and channel;
- ``conflicting`` copies: some copies carry another label than their source;
- about ``flip_fraction`` of each split's rows get a wrong label (copies given another
  label count among them). ``label_issues[split]`` holds every row whose label is not its
  ticket's true queue.

``make_text_pair(..., plant=False)`` gives the clean pair from the same generator (no copies,
no flips); ``leak_column=True`` adds a ``note`` column that names the queue in 97% of rows.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

LABEL = "queue"
TEXT = "text"
QUEUES = ("billing", "technical", "account", "shipping")
COPY_KINDS = ("byte", "case_space", "word1", "word2", "typo", "signature", "cut")
NEAR_KINDS = ("word1", "word2", "typo", "signature", "cut")

SLOTS = {
    "product": ["the Pro plan", "the basic plan", "my annual subscription", "the family bundle", "the premium tier",
                "the router", "the smart speaker", "the wireless headset", "the tablet", "the laptop stand",
                "the camera kit", "the gift card", "the starter pack", "the team licence", "the storage add-on",
                "the e-reader", "the fitness band", "the mesh extender", "the webcam", "the docking station",
                "the coffee machine", "the student plan", "the printer", "the keyboard", "the monitor",
                "the phone case", "the travel adapter", "the power bank", "the smart watch", "the game pass",
                "the cloud backup", "the business plan", "the earbuds", "the drone", "the baby monitor",
                "the vacuum robot", "the air purifier", "the desk lamp", "the VPN add-on", "the music plan"],
    "amount": [f"${d}.{c:02d}" for d in (4, 9, 12, 14, 19, 24, 29, 34, 39, 49, 59, 69, 79, 89, 99, 129, 149, 199, 249)
               for c in (0, 49, 95, 99)],
    "date": [f"{m} {d}" for m in ("January", "February", "March", "April", "May", "June", "July", "August",
                                  "September", "October", "November", "December") for d in range(1, 29)],
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday", "yesterday",
                "this morning", "last night", "last week", "the weekend", "two days ago", "Friday evening"],
    "device": ["iPhone", "Android phone", "Windows laptop", "MacBook", "Chromebook", "iPad", "smart TV",
               "work computer", "desktop", "Pixel", "Galaxy tablet", "Linux box", "old laptop", "new phone",
               "Kindle", "company laptop", "home PC", "Surface", "Xbox", "car screen"],
    "error": [f"{p}-{n}" for p in ("ERR", "E", "CODE", "X", "SYS") for n in range(100, 1000, 37)],
    "feature": ["the export button", "the dashboard", "two-factor login", "the search page", "notifications",
                "the sync option", "the mobile app", "the calendar view", "file upload", "the settings page",
                "dark mode", "the share menu", "offline mode", "the photo gallery", "the billing page",
                "the chat widget", "voice control", "the backup tool", "the import wizard", "the report builder"],
    "carrier": ["UPS", "FedEx", "DHL", "the postal service", "the courier", "the local depot", "Evri", "DPD",
                "GLS", "Royal Mail", "the van driver", "Amazon Logistics"],
    "city": ["Leeds", "Denver", "Lyon", "Austin", "Porto", "Dublin", "Osaka", "Perth", "Boston", "Madrid",
             "Oslo", "Toronto", "Leipzig", "Glasgow", "Seville", "Quebec", "Bristol", "Nantes", "Krakow", "Turin",
             "Ghent", "Malmo", "Tampa", "Cork", "Bergen", "Bilbao", "Graz", "Utrecht", "Lille", "Aarhus"],
    "n": ["two", "three", "four", "five", "six", "ten", "several", "a few", "many", "countless"],
    "nth": ["second", "third", "fourth", "fifth", "sixth"],
    "person": ["my wife", "my husband", "a colleague", "my manager", "my son", "my daughter", "a neighbour",
               "my flatmate", "our accountant", "my brother", "a friend", "the office admin", "my mother",
               "my partner", "a customer of mine", "my assistant", "the IT guy", "my sister", "my boss", "a coworker"],
    "place": ["at home", "at work", "on the train", "in the shop", "abroad", "at the airport", "in the office",
              "on holiday", "at my parents' house", "in a hotel", "at the gym", "in the car", "at school",
              "in a cafe", "at the station"],
}
# Words people drop into their sentences anywhere; they make two tickets from the same
# templates differ in more than their slots, as two people's wording does.
FILLERS = ["really", "honestly", "still", "again", "just", "actually", "already", "now", "basically", "also",
           "literally", "somehow", "suddenly", "apparently", "clearly", "totally", "simply", "frankly",
           "sadly", "obviously", "kind of", "once more", "as usual", "to be honest", "by the way"]

# Each queue's sentences; "[a|b]" picks one alternative, "{slot}" one filler.
TEMPLATES = {
    "billing": [
        "[I was|We were|My card was] charged twice for {product} on {date}",
        "the invoice for {product} shows {amount} [but|while] the price [on your site|in the app] was lower",
        "please refund the [extra|duplicate|second] payment of {amount} [to my card|as soon as possible]",
        "my [credit card|bank] statement lists {n} payments [I do not recognise|that look wrong]",
        "[why did|how come] the [monthly|yearly] [fee|charge] go up to {amount} [after|since] {date}",
        "I cancelled {product} [last month|on {date}] but [you still|the system still] [billed|charged] me",
        "the [discount|promo] code for {amount} off [was not applied|did not work] at checkout for {product}",
        "can you [send|email] me a [receipt|VAT invoice] for the {amount} payment",
    ],
    "technical": [
        "the app [crashes|freezes|closes] [every time|whenever] I open {feature} on my {device}",
        "I get error {error} when I [try to|want to] [sync|upload|save] [files|my data]",
        "{feature} [has been|is] [broken|very slow|not loading] since the update on {date}",
        "[after|since] the [latest|last] update my {device} [cannot|will not] connect to {product}",
        "the screen [goes blank|shows {error}] [when|as soon as] I [click|tap] {feature}",
        "I [reinstalled|updated|restarted] the app {n} times [and|but] {feature} still [fails|hangs]",
        "[pages|reports] take [minutes|forever] to load on my {device} [since|from] {weekday}",
        "{product} keeps [dropping the connection|disconnecting|rebooting] [every hour|at night] {place}",
    ],
    "account": [
        "I [cannot|can not|am unable to] [log in|sign in] to my account [since|from] {weekday}",
        "please [change|update] the email address on my {product} account [to my new one|as I lost access] [before|by] {weekday}",
        "the password reset [link|email] [never arrives|has expired] on my {device} [and I am locked out|again]",
        "[someone|a stranger] [changed|tried to change] my password [from|in] {city}",
        "I want to [delete|close] my account [and remove my data|permanently] [before|after] {date}",
        "two-factor [codes|messages] [do not arrive|stopped arriving] on my {device}",
        "[how do I|can you] [merge|link] my {n} [accounts|profiles] into one",
        "my [username|profile name] [shows|displays] [wrong|someone else's] [details|information] in {feature}",
    ],
    "shipping": [
        "my order [with|for] {product} [has not arrived|is still missing] [since|after] {date}",
        "the tracking [number|link] [from|for] {carrier} [does not work|shows no updates]",
        "{carrier} [left|dropped] the parcel [at the wrong address|with a neighbour] in {city}",
        "the [box|package] arrived [damaged|open|crushed] and {product} [is broken|was missing]",
        "[can you|please] [change|update] the delivery address [for|of] my order to {city}",
        "the [delivery|parcel] [was marked as|shows] delivered on {date} but [nothing came|I got nothing]",
        "I [received|got] the wrong [item|size|colour] [instead of|in place of] {product}",
        "[how long|when] will the [replacement|exchange] [take|be shipped] to {city}",
    ],
}
SHARED = [
    "I have been a customer for {n} years",
    "[this is|it is] the {nth} time I [contact|write to] you about this",
    "I [already|previously] [called|emailed|chatted with] support on {weekday}",
    "[it is|this is] [urgent|quite urgent|important] for my [work|business|family]",
    "[please|kindly] [let me know|tell me] what [to do|I should do] next",
    "I [attached|added] a [screenshot|photo] [of the problem|for reference]",
]
# Personal context: many combinations, no queue signal, as real tickets wander.
CONTEXT = [
    "{person} [noticed|spotted|pointed out] it [first|yesterday|this morning] {place}",
    "I [was|am] {place} [right now|at the moment|this week] [so|and] [it is hard to|I cannot easily] [call|check]",
    "[my reference is|the order number is|ticket] #{ref}",
    "{person} [has|had] the same [thing|trouble] [last year|a while ago|before] {place}",
    "I [use|rely on] it [every day|daily|for work|a lot] [with|for] {person}",
]
GREETINGS = ["Hi team,", "Hello,", "Hi there,", "Dear support,", "Good morning,", "Hey,", ""]
CLOSINGS = ["Thanks in advance.", "Thank you.", "Regards.", "Cheers.", "Many thanks.", "Best regards.", ""]
SIGNATURES = ["\n-- Sent from my iPhone", "\nThanks, Maria", "\nBest regards,\nJohn Smith\nAcme Corp",
              "\nKind regards, Sam", "\n\nSent from Mail for Windows", "\nCheers, Priya (Leeds office)"]
REPLACEMENT_WORDS = ["really", "still", "again", "today", "now", "also", "maybe", "quickly", "another", "some",
                     "order", "account", "payment", "update", "issue", "problem", "device", "help"]
PRIORITY = ("low", "normal", "high", "urgent")
CHANNEL = ("email", "chat", "phone", "web")
# The 97%-leaky note: most name the queue the ticket was routed to.
NOTE_FORMS = ("routed to {q} queue", "escalated to {q} team", "{q} - first line", "assigned: {q}")

_CHOICE = re.compile(r"\[([^\[\]]*)\]")
_SLOT = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class PlantedCopy:
    """One planted copy: where it is, which train row it copies, and how it was changed."""

    split: str
    row: int
    train_row: int
    kind: str
    label_conflict: bool


@dataclass
class TextPair:
    """The planted pair and its truth (positions are 0-based rows of each frame)."""

    train: pd.DataFrame
    val: pd.DataFrame
    copies: list[PlantedCopy] = field(default_factory=list)
    label_issues: dict[str, set[int]] = field(default_factory=dict)
    true_labels: dict[str, np.ndarray] = field(default_factory=dict)

    def duplicates(self, kinds: tuple[str, ...] = COPY_KINDS) -> set[tuple[int, int]]:
        """(later row, earlier row) of each planted train copy and its source, of these kinds:
        a detector that keeps the first of two rows flags the later one."""
        return {(max(c.row, c.train_row), min(c.row, c.train_row))
                for c in self.copies if c.split == "train" and c.kind in kinds}

    def leaks(self, kinds: tuple[str, ...] = COPY_KINDS) -> set[tuple[int, int]]:
        """(val row, train row) of the planted val copies of these kinds."""
        return {(c.row, c.train_row) for c in self.copies if c.split == "val" and c.kind in kinds}


class TicketWriter:
    """Writes tickets and their copies from one seeded random stream."""

    def __init__(self, seed: int):
        self.random = random.Random(seed)

    def sentence(self, template: str) -> str:
        text = _CHOICE.sub(lambda m: self.random.choice(m.group(1).split("|")), template)
        return _SLOT.sub(self._fill, text)

    def _fill(self, slot: re.Match) -> str:
        if slot.group(1) == "ref":
            return str(self.random.randrange(10_000, 100_000))
        return self.random.choice(SLOTS[slot.group(1)])

    def ticket(self, queue: int) -> str:
        pick = self.random.random
        # The ticket's own queue speaks first, as people state the problem before the rest.
        n_sentences = self.random.choice((3, 4, 4))
        chosen = [self.random.choice(TEMPLATES[QUEUES[queue]])]
        while len(chosen) < n_sentences:
            draw = pick()
            if draw < 0.55:
                pool = TEMPLATES[QUEUES[queue]]
            elif draw < 0.72:
                pool = SHARED
            elif draw < 0.87:
                pool = CONTEXT
            else:
                pool = TEMPLATES[QUEUES[self.random.randrange(len(QUEUES))]]
            template = self.random.choice(pool)
            if template not in chosen:
                chosen.append(template)
        sentences = []
        for template in chosen:
            sentence = self.sentence(template)
            if self.random.random() < 0.6:
                words = sentence.split(" ")
                words.insert(self.random.randrange(1, len(words) + 1), self.random.choice(FILLERS))
                sentence = " ".join(words)
            sentences.append(sentence[0].upper() + sentence[1:] + self.random.choice((".", ".", ".", "!", "?")))
        parts = [self.random.choice(GREETINGS), *sentences, self.random.choice(CLOSINGS)]
        return " ".join(p for p in parts if p)

    def copy(self, text: str, kind: str) -> str:
        words = text.split(" ")
        if kind == "byte":
            return text
        if kind == "case_space":
            cased = text.upper() if self.random.random() < 0.5 else text.lower()
            return "  " + cased.replace(" ", self.random.choice(("  ", " \t", "\n"))) + self.random.choice(("!!", " ...", "\n"))
        if kind in ("word1", "word2"):
            positions = self.random.sample(range(len(words)), 1 if kind == "word1" else 2)
            for p in positions:
                words[p] = self.random.choice([w for w in REPLACEMENT_WORDS if w != words[p].lower()])
            return " ".join(words)
        if kind == "typo":
            long_words = [i for i, w in enumerate(words) if len(w) >= 5 and w.isalpha()]
            i = self.random.choice(long_words)
            w = words[i]
            j = self.random.randrange(1, len(w) - 2)
            edit = self.random.choice(("swap", "drop", "double"))
            if edit == "swap" and w[j] == w[j + 1]:
                edit = "double"  # swapping two equal letters would leave a byte copy
            words[i] = (w[:j] + w[j + 1] + w[j] + w[j + 2:] if edit == "swap"
                        else w[:j] + w[j + 1:] if edit == "drop" else w[:j] + w[j] + w[j:])
            return " ".join(words)
        if kind == "signature":
            return text + self.random.choice(SIGNATURES)
        if kind == "cut":
            n_cut = self.random.randint(1, max(1, int(0.1 * len(words))))
            return " ".join(words[:-n_cut])
        raise ValueError(f"unknown copy kind {kind!r}")


def make_text_pair(n_train: int = 4000, n_val: int = 1000, seed: int = 0, plant: bool = True,
                   copies_per_kind: int | None = None, leaks_per_kind: int | None = None,
                   n_conflicting: int | None = None, flip_fraction: float = 0.06,
                   leak_column: bool = False) -> TextPair:
    """A ticket pair of ``n_train`` and ``n_val`` rows, planted unless ``plant`` is False.

    By default each copy kind is planted in 1% of train rows and 2% of val rows, a quarter of
    the train copies' count again as copies with a conflicting label, and ``flip_fraction``
    of each split's rows carry a wrong label (conflicting copies included).
    """
    writer = TicketWriter(seed)
    rng = np.random.default_rng(seed)
    if not plant:
        copies_per_kind = leaks_per_kind = n_conflicting = 0
        flip_fraction = 0.0
    copies_per_kind = max(1, n_train // 100) if copies_per_kind is None else copies_per_kind
    leaks_per_kind = max(1, n_val // 50) if leaks_per_kind is None else leaks_per_kind
    n_conflicting = max(1, len(COPY_KINDS) * copies_per_kind // 4) if n_conflicting is None else n_conflicting

    n_train_copies = len(COPY_KINDS) * copies_per_kind + n_conflicting
    n_val_copies = len(COPY_KINDS) * leaks_per_kind
    base_train, base_val = n_train - n_train_copies, n_val - n_val_copies
    if base_train < n_train_copies + n_val_copies or base_val < 0:
        raise ValueError("too few rows for the planted copies; raise n_train/n_val or lower the copy counts")

    def fresh(n: int) -> pd.DataFrame:
        queues = rng.integers(0, len(QUEUES), n)
        # Priority leans on the queue a little; channel does not: neither gives the label away.
        priority = (queues + rng.integers(0, 6, n)) % len(PRIORITY)
        return pd.DataFrame({TEXT: [writer.ticket(int(q)) for q in queues],
                             "priority": np.array(PRIORITY)[priority],
                             "channel": np.array(CHANNEL)[rng.integers(0, len(CHANNEL), n)],
                             "true": queues, LABEL: queues, "source": -1, "kind": ""})

    train, val = fresh(base_train), fresh(base_val)
    sources = rng.choice(base_train, n_train_copies + n_val_copies, replace=False)
    train_kinds = [k for k in COPY_KINDS for _ in range(copies_per_kind)]
    train_kinds += [COPY_KINDS[i % len(COPY_KINDS)] for i in range(n_conflicting)]
    val_kinds = [k for k in COPY_KINDS for _ in range(leaks_per_kind)]

    def copies_of(rows: np.ndarray, kinds: list[str]) -> pd.DataFrame:
        copied = train.iloc[rows].copy()
        copied[TEXT] = [writer.copy(t, k) for t, k in zip(copied[TEXT], kinds)]
        copied["source"] = rows
        copied["kind"] = kinds
        return copied

    train_copies = copies_of(sources[:n_train_copies], train_kinds)
    conflict = np.zeros(len(train_copies), dtype=bool)
    conflict[len(COPY_KINDS) * copies_per_kind:] = True
    train_copies.loc[conflict, LABEL] = (train_copies.loc[conflict, LABEL] + rng.integers(1, len(QUEUES), conflict.sum())) % len(QUEUES)
    val_copies = copies_of(sources[n_train_copies:], val_kinds)

    train = pd.concat([train, train_copies], ignore_index=True)
    val = pd.concat([val, val_copies], ignore_index=True)
    for frame in (train, val):
        n_flip = int(round(flip_fraction * len(frame))) - int((frame[LABEL] != frame["true"]).sum())
        candidates = np.flatnonzero((frame[LABEL] == frame["true"]).to_numpy())
        flip = rng.choice(candidates, max(0, n_flip), replace=False)
        frame.loc[flip, LABEL] = (frame.loc[flip, LABEL] + rng.integers(1, len(QUEUES), len(flip))) % len(QUEUES)

    if leak_column:
        for frame in (train, val):
            named = rng.random(len(frame)) < 0.97
            queue = np.where(named, frame[LABEL], rng.integers(0, len(QUEUES), len(frame)))
            forms = rng.integers(0, len(NOTE_FORMS), len(frame))
            frame["note"] = [NOTE_FORMS[f].format(q=QUEUES[q]) for f, q in zip(forms, queue)]

    train_order, val_order = rng.permutation(len(train)), rng.permutation(len(val))
    train, val = train.iloc[train_order].reset_index(drop=True), val.iloc[val_order].reset_index(drop=True)
    train_pos = np.argsort(train_order)  # position before shuffling -> after

    copies = []
    for split, frame in (("train", train), ("val", val)):
        planted = frame.index[frame["source"] >= 0]
        for row in planted:
            source = int(train_pos[frame.at[row, "source"]])
            conflict = bool(frame.at[row, LABEL] != train.at[source, LABEL])
            copies.append(PlantedCopy(split, int(row), source, str(frame.at[row, "kind"]), conflict))

    truth = {split: set(np.flatnonzero((f[LABEL] != f["true"]).to_numpy()).tolist())
             for split, f in (("train", train), ("val", val))}
    true_labels = {split: np.array(QUEUES)[f["true"].to_numpy()] for split, f in (("train", train), ("val", val))}
    keep = [TEXT, "priority", "channel"] + (["note"] if leak_column else []) + [LABEL]

    def finish(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame[keep].copy()
        out[LABEL] = np.array(QUEUES)[out[LABEL].to_numpy()]
        return out

    return TextPair(finish(train), finish(val), sorted(copies, key=lambda c: (c.split, c.row)), truth, true_labels)


def save_text_pair(pair: TextPair, folder: Path) -> None:
    """Write the pair as ``train.parquet`` and ``val.parquet`` and its truth as ``truth.json``."""
    folder.mkdir(parents=True, exist_ok=True)
    pair.train.to_parquet(folder / "train.parquet", index=False)
    pair.val.to_parquet(folder / "val.parquet", index=False)
    truth = {"copies": [asdict(c) for c in pair.copies],
             "label_issues": {s: sorted(rows) for s, rows in pair.label_issues.items()},
             "true_labels": {s: labels.tolist() for s, labels in pair.true_labels.items()}}
    (folder / "truth.json").write_text(json.dumps(truth))


def load_text_pair(folder: Path) -> TextPair:
    """Read what :func:`save_text_pair` wrote."""
    truth = json.loads((folder / "truth.json").read_text())
    return TextPair(pd.read_parquet(folder / "train.parquet"), pd.read_parquet(folder / "val.parquet"),
                    [PlantedCopy(**c) for c in truth["copies"]],
                    {s: set(rows) for s, rows in truth["label_issues"].items()},
                    {s: np.array(labels) for s, labels in truth["true_labels"].items()})
