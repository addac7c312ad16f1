"""arXiv's category codes (https://arxiv.org/category_taxonomy), to catch typos early."""

from __future__ import annotations

import difflib

_GROUPS: dict[str, str] = {
    "cs": "AI AR CC CE CG CL CR CV CY DB DC DL DM DS ET FL GL GR GT HC IR IT LG LO MA MM MS NA "
    "NE NI OH OS PF PL RO SC SD SE SI SY",
    "math": "AC AG AP AT CA CO CT CV DG DS FA GM GN GR GT HO IT KT LO MG MP NA NT OA OC PR QA "
    "RA RT SG SP ST",
    "stat": "AP CO ME ML OT TH",
    "eess": "AS IV SP SY",
    "econ": "EM GN TH",
    "q-bio": "BM CB GN MN NC OT PE QM SC TO",
    "q-fin": "CP EC GN MF PM PR RM ST TR",
    "astro-ph": "CO EP GA HE IM SR",
    "cond-mat": "dis-nn mes-hall mtrl-sci other quant-gas soft stat-mech str-el supr-con",
    "nlin": "AO CD CG PS SI",
    "physics": "acc-ph ao-ph app-ph atm-clus atom-ph bio-ph chem-ph class-ph comp-ph data-an "
    "ed-ph flu-dyn gen-ph geo-ph hist-ph ins-det med-ph optics plasm-ph pop-ph soc-ph space-ph",
}
_STANDALONE = "gr-qc hep-ex hep-lat hep-ph hep-th math-ph nucl-ex nucl-th quant-ph"


def categories() -> frozenset[str]:
    names = {f"{group}.{sub}" for group, subs in _GROUPS.items() for sub in subs.split()}
    names.update(_STANDALONE.split())
    names.update(_GROUPS)  # a whole archive, e.g. "astro-ph" or "cs"
    return frozenset(names)


def check_category(code: str) -> str | None:
    """None when ``code`` is a real arXiv category, else a message with a suggestion."""
    known = categories()
    if code in known:
        return None
    close = difflib.get_close_matches(code, known, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return f"unknown arXiv category {code!r}{hint}"
