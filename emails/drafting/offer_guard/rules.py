"""The offer guard's rules: what counts as an offer, and the innocent contexts.

Patterns read the normalised, lower-cased text (see `normalise.py`), where
number words are already digits. The module docstring of the package says what
is caught and what is deliberately allowed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DIGITS = r"\d[\d,]*(?:\.\d+)?(?:\s*/\s*\d+)?"
# Number words are digits by now (see `normalise._numbers_as_digits`).
_NUMBER = rf"(?<![\d.,]){_DIGITS}"
_HUNDRED = r"100(?![\d.,])"
_PERCENT = r"(?:%|per[\s-]*cent\b|pct\b|pcnt\b)"
_CURRENCY_SYMBOL = r"[$£€¥₹₩]"
_CURRENCY_WORD = (
    r"(?:dollars?|bucks?|quid|euros?|pounds?|pence|cents?|usd|gbp|eur|cad|aud|nzd|"
    r"chf|sterling)"
)
_FABRIC = (
    r"(?:organic\s+|recycled\s+|pure\s+|natural\s+)?(?:cotton|linen|wool|merino|silk|"
    r"cashmere|polyester|nylon|viscose|rayon|modal|spandex|elastane|lyocell|tencel|"
    r"hemp|leather|denim|recycled|organic|bamboo|acrylic|alpaca|mohair|jersey|"
    r"natural|vegan|suede)"
)
_CERTAINTY = (
    r"(?:sure|certain|confident|positive|honest|committed|behind|on\s+board|right|"
    r"worth|yours|you|yourself|your|up\s+to\s+you|authentic|real|genuine|comfortable|"
    r"happy)"
)
_OFFER_NOUN = (
    r"(?:shipping|postage|delivery|returns?|styling(?:\s+fees?)?|fees?|fix(?:es)?|"
    r"box(?:es)?|items?|pieces?|gifts?|trials?|months?|weeks?|upgrades?|credits?|"
    r"accessor(?:y|ies)|consultations?|sessions?|exchanges?|alterations?|"
    r"tailoring|samples?|stuff|add-ons?|belts?|scarf|scarves|bags?|jewel(?:le)?ry|"
    r"earrings?|socks?|tees?|tops?|tote|of\s+charge|of\s+cost)"
)
_NOT = (
    r"(?:won'?t|will\s+not|wont|don'?t|do\s+not|doesn'?t|does\s+not|never|not|"
    r"wouldn'?t|would\s+not|shouldn'?t|isn'?t\s+going\s+to|aren'?t\s+going\s+to|"
    r"no\s+need\s+to|needn'?t)"
)
# A promo code as written: ALL CAPS or caps and digits, four characters or more
# (SAVE90, WELCOMEBACK, FIX-20); after "use"/"with" it must hold a digit, so
# "use THESE" is not one.
_CODE = r"(?:[A-Z][A-Z0-9]{3,}|[0-9]+[A-Z][A-Z0-9]{2,})(?:-[A-Z0-9]+)*\b"
_CODE_WITH_DIGIT = (
    r"(?=[A-Za-z-]*[0-9])(?=[0-9-]*[A-Za-z])[A-Za-z0-9]{2,}(?:-?[A-Za-z0-9]+)+\b"
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One kind of offer; `unless_before`/`unless_after` name innocent contexts.

    `unless_before` must match just before the match (it is anchored at the
    match), `unless_after` just after it. With a group named ``w`` the contexts
    are taken around that group rather than the whole match. A rule reads the
    lower-cased text (matching without re.IGNORECASE is about twice as fast)
    unless it is `cased`.
    """

    pattern: re.Pattern[str]
    unless_before: re.Pattern[str] | None = None
    unless_after: re.Pattern[str] | None = None
    cased: bool = False


def _rule(
    pattern: str,
    *,
    before: str | None = None,
    after: str | None = None,
    cased: bool = False,
) -> Rule:
    return Rule(
        re.compile(pattern),
        re.compile(rf"(?:{before})$") if before else None,
        re.compile(after) if after else None,
        cased,
    )


_SUBJECT_FREE = (
    # A person is free (at liberty): "you're free", "are you free", "I'm free".
    r"\b(?:you're|you\s+are|i'm|i\s+am|we're|we\s+are|she's|she\s+is|he's|he\s+is|"
    r"you\s+were|i\s+was|we\s+were|she\s+was|he\s+was|"
    r"(?:you|i|we|she|he)(?:'ll|'d|\s+will|\s+would|\s+might|\s+may|\s+can)\s+be)"
    r"(?:\s+(?:totally|completely|always|still|entirely|absolutely|so|quite|"
    r"perfectly|very|more|really|also|both|all))?\s+"
    r"|(?:^|[.!?,;:]\s*|\b(?:if|when|whenever|once|until|while|because|since|so|"
    r"and|but|that|are|were|am|as\s+long\s+as|hope|think)\s+)(?:you|i|we|she|he)"
    r"(?:\s+(?:totally|completely|always|still|ever|really|both|all))?\s+"
)
_FREE_BEFORE = (
    # feel free, set free, break free ...
    r"\b(?:feel|feels|feeling|felt|set|sets|setting|break|breaks|breaking|broke|"
    r"run|runs|running|roam|roaming|hang|hangs|hanging|swing|swings|flow|flows|"
    r"flowing|fly|breathe|stay)\s+(?:so\s+|really\s+|more\s+|yourself\s+|you\s+|"
    r"it\s+|them\s+)?"
    # stress free, hands free ... (without the hyphen)
    r"|\b(?:stress|hassle|worry|care|fuss|guilt|wrinkle|crease|iron|hands|cruelty|"
    r"plastic|toxin|chemical|scent|fragrance|sugar|gluten|nickel|latex|pressure|"
    r"judg(?:e)?ment|drama|clutter|tangle|pill|itch|sweat|stain|static|snag|frizz|"
    r"pain|effort|maintenance|crinkle|smudge|dust|odou?r|toll|clasp|buckle|button|"
    r"zip|lace|seam|tag|label|pfas|bpa|pvc)\s+"
    # any word-free compound except money ones (fee-free, cost-free, risk-free)
    r"|\b(?!(?:cost|charge|fee|fees|price|risk|shipping|delivery|postage|payment|"
    r"interest|commission|duty|tax|subscription|styling|fix|box|money|cash|gift|"
    r"return|returns)-)[a-z]+-"
    rf"|{_SUBJECT_FREE}"
    # a time is free: "if your Saturday is free"
    r"|\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|weekend|"
    r"morning|afternoon|evening|calendar|diary|schedule)s?(?:'s|\s+is|\s+are|"
    r"\s+looks?)(?:\s+(?:still|totally|completely))?\s+"
)
_FREE_AFTER = (
    r"\s+to\b(?!\s+(?:keep|you|own|take|have|all)\b)"
    r"|\s*-?\s*(?:spirit(?:s|ed)?|flow(?:ing|y)?|form|style[sd]?|hand(?:ed)?|range|"
    r"standing|fall(?:ing)?|wheeling|thinking|thinker|will|rein|reign|time|"
    r"moments?|minutes?|afternoons?|evenings?|mornings?|weekends?|days?|hours?|"
    r"nights?|periods?|slots?|spots?|space|hands?|size[ds]?|thought|speech|agent|"
    r"kick|throw|up|from|yourself|your\s+(?:closet|wardrobe|mornings?|mind|style|"
    r"schedule|time|weekends?)|and[\s-]+easy|and[\s-]+clear|and[\s-]+independent|"
    r"of\s+(?:any\s+|all\s+)?(?:stress|worry|fuss|hassle|pressure|obligation|"
    r"judg(?:e)?ment|commitment|clutter|expectations?|rules))\b"
    r"|\s+people\b"
)
_TIME_SAVED = (
    r"(?!\s*-?\s*(?:minutes?|mins?|hours?|days?|weeks?|months?|years?|seconds?|"
    r"steps?|trips?|pieces?|items?|spots?|outfits?|looks?|for|of)\b)"
)
_SHARE = (
    r"of\b(?!\s+(?:the\s+)?(?:usual\s+|normal\s+|regular\s+|full\s+|original\s+|"
    r"retail\s+)?(?:price|cost|retail|rrp|fee|bill|order|purchase|total)\b)"
)

RULES: tuple[Rule, ...] = (
    # Percentages; not fabric ("100% cotton"), not a share ("90% of your week"),
    # and 100 may also be certainty ("100% sure", "100% you").
    _rule(
        rf"(?!{_HUNDRED}\s*-?\s*{_PERCENT}){_NUMBER}\s*-?\s*{_PERCENT}"
        r"(?:\s+(?:off|discount)\b)?",
        after=rf"\s*(?:{_FABRIC}\b|{_SHARE})",
    ),
    _rule(
        rf"(?<![\d.,]){_HUNDRED}\s*-?\s*{_PERCENT}(?:\s+(?:off|discount)\b)?",
        after=rf"\s*(?:{_FABRIC}\b|{_SHARE}|{_CERTAINTY}\b)",
    ),
    _rule(rf"{_PERCENT}\s*(?:\S+\s+){{0,5}}?back\b"),
    _rule(r"\bpercent(?:age)?s?\s+(?:off|discount)\b|(?<!\w)%\s?\d+\b"),
    # Money: symbols, codes and words, and any "N off".
    _rule(
        rf"{_CURRENCY_SYMBOL}\s?\d[\d,]*(?:\.\d+)?(?:\s*(?:k|m)\b)?(?:\s+off\b)?"
        rf"|\b\d[\d,]*(?:\.\d+)?\s?{_CURRENCY_SYMBOL}"
    ),
    _rule(
        rf"{_NUMBER}[\s-]*(?:{_CURRENCY_WORD}\b|(?<=\d)p\b(?!\.?\s?m\b))(?:\s+off\b)?"
        rf"|\b(?:usd|gbp|eur|cad|aud)\s?{_NUMBER}"
        r"|\b(?:fiver|tenner)s?\b"
    ),
    _rule(
        rf"(?!1\s+off){_NUMBER}\s+off\b",
        before=r"\b(?:days?|weeks?|or|and)\s+",
        after=r"[\s-]*(?:the\s+)?(?:list|work|school|shoulder|rack|peg|duty|sick)\b",
    ),
    _rule(
        r"\b(?:a\s+)?(?:half|quarter|third|fifth|tenth)\s+off\b"
        r"|\b(?:half|1/2)[\s-]*(?:off|price[sd]?|pric(?:ing|ed))\b"
        r"|\bhalf\s+(?:of\s+)?(?:the\s+)?(?:usual\s+|normal\s+|regular\s+|full\s+|"
        r"original\s+|retail\s+)?(?:price|cost|retail|rrp|fee)\b"
        r"|\bpay(?:ing)?\s+(?:only\s+|just\s+)?half\b"
    ),
    _rule(
        r"\boff\s+(?:your|the|any|every|each|one|all)\s+(?:\w+\s+){0,2}?(?:next|"
        r"first|whole|entire|total|orders?|purchases?|price|bill|fix(?:es)?|"
        r"box(?:es)?|checkout|basket|cart|styling\s+fees?|fees?|subscription|"
        r"shipping|retail|rrp)\b"
        r"|\boff\s+(?:everything|anything|sitewide|site-wide|storewide|"
        r"store-wide|orders?|purchases?|retail|rrp|full\s+price)\b"
        r"|\b(?:money|cash|dollars|pounds|euros|bucks|quid)[\s-]+off\b"
        r"|\bknock(?:s|ed|ing)?\s+(?:\S+\s+){0,3}?off\b"
    ),
    # Buy one get one, N for M, for the price of.
    _rule(
        r"\bbogof?\b|\bb\s?1\s?g\s?1\b"
        rf"|\bbuy\s+(?:{_NUMBER}|any\s+\w+)\s*,?\s*(?:and\s+)?(?:you'll\s+|you\s+)?"
        rf"get\s+(?:{_NUMBER}|a|an|another|the\s+(?:second|next|third)|a\s+second)\b"
        rf"|{_NUMBER}\s*-?\s*for\s*-?\s*(?:{_NUMBER}|the\s+price\s+of)"
        r"|\bfor\s+the\s+price\s+of\b"
    ),
    # Promo codes.
    _rule(
        r"\b(?:promo(?:tion(?:al)?)?|discount|coupon|voucher|referral|offer|reward|"
        r"gift|sale|savings?|redemption|bonus|checkout|loyalty)\s*-?\s*codes?\b"
        r"|\b(?:use|enter|apply|redeem|type|input|paste|add|quote|with|using|"
        r"key\s+in)\s+(?:the\s+|this\s+|my\s+|our\s+|your\s+|a\s+)?code\b"
    ),
    # The code itself, read in the case it was written (SAVE90, not "save").
    _rule(
        rf"(?<!(?i:dress)\s)\b(?i:codes?)\s*(?:[:=-]|(?i:is))?\s*[\"']?\b{_CODE}"
        r"|\b(?i:enter|apply|redeem|type|input|paste|key\s+in|quote)\s*:?\s*"
        rf"[\"']?\b{_CODE}"
        rf"|\b(?i:use|using|with|add)\s*:?\s*[\"']?\b{_CODE_WITH_DIGIT}"
        rf"|\b{_CODE}\s+(?i:at|during|on|when\s+you)\s+(?i:check(?:ing)?[\s-]?out)\b"
        r"|\b[A-Z]{3,}-?[0-9]{2,}[A-Z0-9]*\b|\b[0-9]{2,}[A-Z]{3,}\b",
        cased=True,
    ),
    _rule(
        r"\b(?:coupons?|vouchers?|rebates?|cash[\s-]?back|promos?|redeem(?:s|ed|"
        r"ing|able)?|discount\w*|giveaways?|freebies?|gratis|comp(?:ed|'d)|"
        r"clearance|markdowns?|marked\s+down|slashed|bargains?|savings|refund\w*|"
        r"reimburs\w*|bonus)\b"
    ),
    _rule(
        r"\bcomplimentary\b",
        after=r"\s+(?:colou?rs?|tones?|shades?|hues?|palettes?|pieces\s+to)\b",
    ),
    _rule(
        r"\bpromotions?\b",
        before=r"\b(?:your|his|her|their|new|recent|job|work|career|a|the|on)\s+",
    ),
    _rule(
        r"\bpromotions?\s+(?:ends|expires|applies|valid|price|pricing|offer|runs|"
        r"starts|is\s+live)\b"
    ),
    # Free, wherever it stands, unless it means "at liberty" or "without".
    _rule(
        r"\b(?:(?:is|are|it's|be|comes?)\s+)?"
        rf"(?P<w>fr[e3][e3])\b(?:[\s-]+(?:\w+\s+){{0,2}}?{_OFFER_NOUN}\b)?",
        before=_FREE_BEFORE,
        after=_FREE_AFTER,
    ),
    _rule(r"\bfr[e3][e3][\s-]+of[\s-]+(?:charge|cost)\b|\bfor\s+fr[e3][e3]\b(?!-)"),
    _rule(r"\b(?:risk|cost|charge|fee|fees|price|shipping|postage|duty|tax)-free\b"),
    # Nothing to pay.
    _rule(
        r"\bpay(?:s|ing)?\s+(?:nothing|zero|zilch|nada|less|a\s+fraction|no\b|"
        r"not\s+a)"
        rf"|\b{_NOT}\s+(?:have\s+to\s+|need\s+to\s+|ever\s+|even\s+)?pay\b"
        r"|\bnothing\s+to\s+pay\b|\bwithout\s+paying\b|\bpay\s+for\s+(?:only\s+)?1\b"
        r"|\b(?:cost|price|charge|fee|total)s?\b[^.!?\n]{0,20}?[:?=-]\s*(?:nothing|zero|"
        r"nil|nada|none|0)\b"
        r"|\bworry(?:ing)?\s+about\s+(?:paying|payment|the\s+(?:cost|price|bill|fee))"
        r"|\bcosts?\s+(?:you\s+|them\s+)?(?:nothing|zero|zilch|nada|less|"
        r"next\s+to\s+nothing)\b"
        rf"|\b{_NOT}\s+(?:\w+\s+)?cost\b"
        r"|\bcost\s+(?:you\s+)?a\s+(?:thing|penny|cent|dime|dollar|pound|red\s+cent)"
        r"|\b(?:at\s+)?no[\s-](?:extra\s+|additional\s+|added\s+|hidden\s+)?(?:cost|charge|"
        r"fee|payment)s?\b"
        r"|\bno[\s-](?:styling|shipping|delivery|return|returns|postage|"
        r"subscription)\s+(?:fees?|costs?|charges?)\b"
        r"|\bwithout\s+(?:any\s+|a\s+|extra\s+|the\s+)?(?:styling\s+)?(?:charge|cost|"
        r"fee|payment)s?\b"
        rf"|\b{_NOT}\s+(?:be\s+|get\s+)?(?:charg|bill)(?:e|ed|ing)?\b"
        r"|\bcharge\s+(?:you\s+)?nothing\b"
        r"|\b(?:zero|0)[\s-](?:styling\s+|shipping\s+)?(?:costs?|charges?|fees?|dollars|"
        r"pounds|euros|bucks|price|payment)\b"
        r"|\bfor\s+(?:nothing|zero|nada|zilch)\b(?!\s+(?:less|but|short|more))"
        r"|\bfor\s+(?:a\s+|one\s+|1\s+)?(?:penny|pennies|cent|dime|peanuts|song)\b"
        r"|\bon\s+the\s+house\b"
        r"|\b(?:our|my)\s+treat\b|\btreat'?s\s+on\b"
        r"|\byours\s+to\s+keep\b"
        r"|\bpick\s+up\s+the\s+(?:tab|bill|cost)\b"
        r"|\b(?:i|we)(?:'ll|\s+will|'ve|\s+have|'re|\s+are|'m|\s+am|\s+can|\s+could|"
        r"'d|\s+would)?\s+(?:also\s+|happily\s+|even\s+|gladly\s+|just\s+)?"
        r"(?:throw|throwing|thrown|threw)\s+in\b|\blet\s+(?:me|us)\s+throw\s+in\b"
        r"|\bthrown\s+in\b"
        r"|\bwaiv(?:e|ed|es|ing|er)\b"
        r"|\b(?:skip|skipping|drop|dropping|remove|removing|cancel|cancell?ed|"
        r"scrap|scrapping|forget|forgo|ditch|eliminate|cover|covering|covered|"
        r"pay\s+for|paying\s+for|reimburse)\s+(?:the\s+|your\s+|that\s+|any\s+|a\s+|"
        r"all\s+)?(?:styling\s+|shipping\s+|return\s+|delivery\s+)?(?:fees?|"
        r"shipping|postage|delivery|returns?|costs?|bill|tab)\b"
        r"|\b(?:shipping|postage|delivery|returns?|fees?|costs?)(?:'s|\s+is|\s+are|"
        r"\s+will\s+be|\s+has\s+been|\s+have\s+been)\s+(?:fully\s+|all\s+)?"
        r"(?:covered|taken\s+care\s+of|paid)\b"
        r"|\b(?:we|we'll|we\s+will|i'll|i\s+will|let\s+us|let\s+me)\s+(?:\w+\s+)?"
        r"(?:pay|foot)\s+(?:for\s+)?(?:the|your|it|this|that)\b"
        r"|\bfee\s+(?:\w+\s+){0,3}?(?:covered|removed|dropped|gone|credited|"
        r"refunded|deducted|taken\s+off|toward|towards|against)\b"
        r"|\bmoney[\s-]back\b|\b(?:money|cash|fees?|costs?)\s+back\b"
        r"|\b(?:double|triple|bonus|reward|rewards|loyalty)\s+points\b"
        r"|\bloyalty\s+(?:rewards?|discount|bonus|perks?|credit|offer|programme|"
        r"program|scheme)\b"
    ),
    _rule(
        r"\bon\s+(?:us|me)\b",
        before=r"\b(?:count|counting|counts|rely|relying|depend|depending|lean|"
        r"leaning|call|calling|focus|trust|wait|waiting|check|checking|turn|hard|"
        r"easy|go|going|rest|fall|falls|reflect|look|looks|looking|hang|drop|pass|"
        r"pick|picking|smile|great|good|better|best|nice|lovely|rub|rubbed|grow|"
        r"grew|grown|growing|tell|play|played|joke|jump|bet|keep|kept|spend|spent|"
        r"wore|wear|worn|seen|saw|fit|fits|fitted|dawned|depends|relies)\s+",
        after=r"\s+to\b",
    ),
    # Credit, unless praise.
    _rule(
        r"\b(?:(?:store|account|styling|shopping|bonus|fix|loyalty|referral)\s+)?"
        r"(?P<w>credit(?:s|ed|ing)?)\b",
        before=r"\bto\s+(?:your|his|her|their|our|my)\s+"
        r"|\b(?:take|takes|took|taking|deserve|deserves|deserved|claim|claims|"
        r"share|give\s+(?:yourself|you|her|him|them))\s+(?:the\s+|all\s+the\s+|"
        r"full\s+|some\s+|much\s+|more\s+|a\s+lot\s+of\s+|so\s+much\s+)?",
        after=r"\s+(?:where|cards?\b)"
        r"|\s+to\s+(?:your|you)\b(?!\s+(?:account|balance|order|next|card|wallet|"
        r"fix|box|basket|profile|subscription|bill)\b)",
    ),
    _rule(
        r"\bgift[\s-]*(?:cards?|certificates?|vouchers?)\b|\bgift(?:ed|ing|s)?\s+you\b"
    ),
    _rule(
        r"\b(?:little|small|special|welcome|welcome[\s-]back|thank[\s-]?you|surprise|"
        r"bonus|extra)\s+gifts?\b|\bgifts?\s+from\s+(?:us|me)\b"
        r"|\b(?:our|my)\s+gift\b|\bgift\s+to\s+you\b"
        r"|\bclaim\s+(?:your|a|the)\s+(?:\w+\s+)?(?:reward|prize|gift|bonus|perk|treat)s?\b"
        r"|\b(?:you've|you\s+have)\s+won\b|\bprizes?\b"
    ),
    # Prices, sales, deals, offers.
    _rule(
        r"\b(?:lowest|best|reduced|special|sale|member|members'?|exclusive|"
        r"introductory|lower|discounted|cut|slashed|bargain|knock-?down|friends|"
        r"insider|vip|loyalty|early[\s-]bird|locked|half|cheaper|unbeatable|outlet|"
        r"wholesale|knockout|rock[\s-]bottom)[\s-]+"
        r"(?:pric(?:e|es|ing)|rates?)\b"
        r"|\b(?:beat|beating|match|matching)\s+(?:any|every|all|their)\s+(?:\w+\s+)?"
        r"pric(?:e|es|ing)\b"
        r"|\bpric(?:e|es|ing)[\s-]+(?:match|guarantee|lock|drop|cut|freeze|reduction|"
        r"break|slash)(?:es|s|ed|ing)?\b"
        r"|\bpric(?:e|es|ing)\b(?:\s+\w+){0,3}?\s+(?:drop|dropp|slash|cut|reduc|"
        r"lower|fall|fell|tumbl|halv)\w*"
        r"|\b(?:drop|dropped|lower|lowered|cut|cutting|reduce|reduced|slash|slashed|"
        r"knock|knocked|shave|shaved|trim|trimmed|halve|halved)\s+(?:the\s+|your\s+|"
        r"our\s+|its\s+|their\s+)?(?:\w+\s+)?(?:price|cost|bill|total|fee)s?\b"
        r"|\bfraction\s+of\s+the\s+(?:price|cost)\b|\breduced\s+to\s+clear\b"
        r"|\b(?:now|all|been)\s+reduced\b"
        r"|\bbelow\s+(?:retail|cost|rrp|full\s+price)\b|\bat\s+cost\b"
        r"|\bcheap(?:er|est)\b|\bless\s+than\s+(?:retail|usual|full\s+price|"
        r"the\s+usual)\b"
        r"|\ba\s+(?:total\s+|real\s+|absolute\s+)?steal\b"
    ),
    _rule(r"\bfor\s+less\b", before=r"\bsettl\w*\s+"),
    _rule(
        r"\b(?:(?:flash|summer|winter|spring|autumn|holiday|seasonal|clearance|big|"
        r"biggest|huge|annual|secret|private|special|members?'?|vip|sample|warehouse|"
        r"end[\s-]of[\s-]season|mid[\s-]season)\s+)?(?P<w>sale)\b",
        before=r"\bfor\s+|\bpoint\s+of\s+|\b(?:garage|yard|bake|estate|car\s+boot)\s+",
    ),
    _rule(
        r"\b(?:the|summer|winter|spring|autumn|january|boxing\s+day|seasonal|holiday|"
        r"black\s+friday|our|big|mid-season|end-of-season)\s+sales\b"
    ),
    _rule(
        r"\b(?:special|exclusive|sweet|amazing|incredible|unbeatable|limited|bundle|"
        r"package|vip|secret|insider|member|holiday|flash|daily|weekly|"
        r"early[\s-]bird|best|better|great|good|fantastic|huge|bumper|killer|"
        r"nice|lovely)\s+deals?\b",
        after=r"\s+(?:of|about|more|less|to|better|happier|easier|with|further|"
        r"longer|harder|lighter)\b",
    ),
    _rule(
        r"\b(?:this|these)\s+deals?\b"
        r"|\bdeals?\s+(?:on|for\s+(?:you|your|all|every)|just\s+for|"
        r"of\s+the\s+(?:day|week|month))\b"
    ),
    _rule(
        r"\b(?:an|this|my)\s+offer\b|\b(?:these|those)\s+offers\b"
        r"|\b(?:our|special|exclusive|limited(?:[\s-]time)?|introductory|"
        r"welcome(?:[\s-]back)?|one[\s-]time|promotional|bonus|loyalty|vip|member|"
        r"seasonal|holiday|great|amazing)\s+offers?\b"
        r"|\boffers?\s+(?:ends?|expires?|valid|available|applies|only|lasts)\b"
        r"|\blimited[\s-]time\b|\bwhile\s+(?:stocks?|supplies)\s+lasts?\b"
        r"|\b(?:today|tonight|this\s+(?:week|weekend|month)|(?:this|next)\s+"
        r"\d+\s+(?:hours|days))\s+only\b"
    ),
    _rule(
        r"\bsave\s+(?:up\s+to\s+|over\s+|an\s+extra\s+|extra\s+)?(?:"
        r"\d[\d,.]*"
        rf"\b{_TIME_SAVED}|{_CURRENCY_SYMBOL}|big\b|more\b|money|cash|off\b|"
        r"on\b(?!\s+(?:time|ironing|effort|stress|space|packing|laundry|washing))|"
        r"a\s+bundle|a\s+packet|a\s+fortune|loads|heaps|plenty|"
        rf"you\s+(?:money|cash|\d|{_CURRENCY_SYMBOL}))"
        r"|\bmoney[\s-]sav\w*"
    ),
)
