"""Text for the ear: what a paper summary must look like before a voice reads it.

Written text is full of things a listener cannot use or a voice reads wrong: URLs, Markdown,
LaTeX, citation brackets, "e.g.", "LLMs", "90 GB", "3.5x". ``to_spoken`` turns them into words a
TTS engine says right; ``split_sentences`` and ``chunk_text`` cut text at sentence boundaries for
engines with an input limit, never dropping a character of the spoken text.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Mapping
from types import MappingProxyType

from papercast.models import safe_text
from papercast.text import wide

# Abbreviations, longest first where they overlap. Matched case-insensitively on word edges.
_ABBREVIATIONS: tuple[tuple[str, str], ...] = (
    (r"\be\.\s?g\.(?=\W|$),?", "for example,"),
    (r"\bi\.\s?e\.(?=\W|$),?", "that is,"),
    (r"\bet\s+al\.?(?=\W|$)", "and colleagues"),
    (r"\bw\.\s?r\.\s?t\.?(?=\W|$)", "with respect to"),
    (r"\bvs\.?(?=\s)", "versus"),
    (r"\betc\.(?=\s+(?-i:[a-z]))", "et cetera"),
    (r"\betc\.", "et cetera."),
    (r"\bcf\.(?=\s)", "compare"),
    (r"\bapprox\.(?=\s)", "approximately"),
    (r"\bresp\.(?=\W)", "respectively"),
    (r"\bFigs?\.\s?(?=\d)", "Figure "),
    (r"\bEqs?\.\s?(?=[\d(])", "Equation "),
    (r"\bSecs?\.\s?(?=\d)", "Section "),
    (r"\bTab\.\s?(?=\d)", "Table "),
    (r"\bRef\.\s?(?=[\d\[])", "Reference "),
)

# How a voice should say common ML acronyms and names (case-sensitive, whole words; a
# trailing plural "s" is handled separately).
ACRONYMS: Mapping[str, str] = MappingProxyType(
    {
        "LLM": "L L M",
        "LLMs": "L L Ms",
        "VLM": "V L M",
        "VLMs": "V L Ms",
        "GPT": "G P T",
        "RLHF": "R L H F",
        "DPO": "D P O",
        "PPO": "P P O",
        "SOTA": "state of the art",
        "SoTA": "state of the art",
        "RAG": "rag",
        "RoPE": "rope",
        "LoRA": "lora",
        "QLoRA": "cue lora",
        "MoE": "mixture of experts",
        "MoEs": "mixtures of experts",
        "ViT": "vit",
        "ViTs": "vits",
        "fMRI": "f M R I",
        "NeRF": "nerf",
        "SGD": "S G D",
        "KV": "K V",
        "ReLU": "relu",
        "GeLU": "gelu",
        "GELU": "gelu",
        "AdamW": "adam W",
        "BERT": "bert",
        "RoBERTa": "roberta",
        "ImageNet": "image net",
        "arXiv": "archive",
        "ArXiv": "archive",
        "bioRxiv": "bio archive",
        "medRxiv": "med archive",
        "GitHub": "git hub",
        "NASA": "nasa",
        "COVID": "covid",
        "BLEU": "blue",
        "ROUGE": "rouge",
        "CLIP": "clip",
        "MAMBA": "mamba",
        "SSM": "S S M",
        "SSMs": "S S Ms",
        "NLP": "N L P",
        "CV": "C V",
        "RL": "R L",
        "ML": "M L",
        "AI": "A I",
        "AGI": "A G I",
        "API": "A P I",
        "APIs": "A P Is",
        "GPU": "G P U",
        "GPUs": "G P Us",
        "TPU": "T P U",
        "TPUs": "T P Us",
        "CPU": "C P U",
        "CPUs": "C P Us",
        "CNN": "C N N",
        "CNNs": "C N Ns",
        "RNN": "R N N",
        "RNNs": "R N Ns",
        "GAN": "gan",
        "GANs": "gans",
        "VAE": "V A E",
        "VAEs": "V A Es",
        "MLP": "M L P",
        "MLPs": "M L Ps",
        "JSON": "jason",
        "JSONL": "jason lines",
        "XML": "X M L",
        "SQL": "sequel",
    }
)

_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "KB": "kilobytes",
        "MB": "megabytes",
        "GB": "gigabytes",
        "TB": "terabytes",
        "PB": "petabytes",
        "ms": "milliseconds",
        "GHz": "gigahertz",
        "MHz": "megahertz",
        "kHz": "kilohertz",
        "Hz": "hertz",
        "FLOPs": "flops",
        "FLOPS": "flops",
    }
)

_MAGNITUDES: Mapping[str, str] = MappingProxyType(
    {"k": "thousand", "K": "thousand", "M": "million", "B": "billion", "T": "trillion"}
)

_SYMBOLS: tuple[tuple[str, str], ...] = (
    ("&", " and "),
    ("±", " plus or minus "),
    ("×", " times "),
    ("≈", " about "),
    ("≤", " at most "),
    ("≥", " at least "),
    ("→", " to "),
    ("←", " from "),
    ("—", ", "),
    ("–", " to "),
    ("…", "..."),
    ("“", '"'),
    ("”", '"'),
    ("‘", "'"),
    ("’", "'"),
    ("\u00a0", " "),
)

_LATEX_WORDS: Mapping[str, str] = MappingProxyType(
    {
        "alpha": "alpha",
        "beta": "beta",
        "gamma": "gamma",
        "delta": "delta",
        "epsilon": "epsilon",
        "theta": "theta",
        "lambda": "lambda",
        "mu": "mu",
        "sigma": "sigma",
        "tau": "tau",
        "phi": "phi",
        "pi": "pi",
        "omega": "omega",
        "times": "times",
        "cdot": "times",
        "approx": "about",
        "sim": "about",
        "leq": "at most",
        "le": "at most",
        "geq": "at least",
        "ge": "at least",
        "infty": "infinity",
        "sum": "sum",
        "log": "log",
        "sqrt": "square root of",
        "rightarrow": "to",
        "to": "to",
        "pm": "plus or minus",
        "ell": "l",
    }
)

_URL = re.compile(r"(?:https?://|www\.)[^\s<>\"')\]]+[^\s<>\"')\].,;:!?]", re.IGNORECASE)
_MD_LINK = re.compile(r"\[([^\]]+)\]\((?:[^)\s]+)\)")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_HTML_TAG = re.compile(r"</?[A-Za-z][^>]*>")
_HTML_HIDDEN = re.compile(r"<(script|style)\b[^>]*>.*?(?:</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_TABLE_RULE = re.compile(
    r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$", re.M
)
_TABLE_PIPE = re.compile(r"[ \t]*\|[ \t]*")
_DRAWN_LINE = re.compile(r"(?:[-=+*_~#][ \t]?){3,}")  # ---, ===, +----+, ***: drawn, not said
_MD_MARKED = re.compile(r"(~~|==)(?=\S)(.+?)(?<=\S)\1")  # ~~struck~~, ==highlighted==
_MD_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_MD_CODE = re.compile(r"`+([^`]*)`+")
_MD_LINE_PREFIX = re.compile(r"^\s{0,3}(?:#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)(.*)$", re.MULTILINE)
_LATEX_TEXTCMD = re.compile(
    r"\\(?:text\w*|mathrm|mathbf|mathit|mathcal|emph|operatorname)\{([^{}]*)\}"
)
_LATEX_DROPCMD = re.compile(r"\\(?:cite\w*|ref|eqref|label|footnote|url)\{[^{}]*\}")
_LATEX_FRAC = re.compile(r"\\frac\{([^{}]*)\}\{([^{}]*)\}")
_LATEX_CMD = re.compile(r"\\([A-Za-z]+)")
_LATEX_POWER = re.compile(r"\^\{?([^{}\s$]+)\}?")
_LATEX_SUB = re.compile(r"_\{([^{}]*)\}|_(\w)")
_MATH = re.compile(r"\$\$?([^$]+)\$\$?")
_PAREN_CITATION = re.compile(
    r"\s?\((?:see |e\.g\.,? )?[A-Z][A-Za-z'-]+(?: et al\.?| and [A-Z][A-Za-z'-]+)?,? \d{4}[a-z]?"
    r"(?:; [A-Z][A-Za-z'-]+(?: et al\.?| and [A-Z][A-Za-z'-]+)?,? \d{4}[a-z]?)*\)"
)
_CITATION = re.compile(r"\s?\[(?:\d+(?:[,–-]\s?\d+)*|[A-Z][A-Za-z+. ]*\d{2,4}[a-z]?)\]")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}\b)")
_PERCENT = re.compile(r"(\d)\s?%")
_TIMES = re.compile(r"(\d(?:\.\d+)?)\s?[x×](?=[\s,.;:)]|$)")
_MAGNITUDE = re.compile(r"\b(\d+(?:\.\d+)?)([kKMBT])\b")
_UNIT = re.compile(r"\b(\d+(?:\.\d+)?)\s?(" + "|".join(_UNITS) + r")\b")
_RANGE = re.compile(r"(?<![-\d.])\b(\d+(?:\.\d+)?)\s?-\s?(\d+(?:\.\d+)?)\b(?![-.]\d)")
_SLASH_WORDS = re.compile(r"(?<=[A-Za-z])/(?=[A-Za-z])")
_WORD = re.compile(r"\b[A-Za-z][A-Za-z]*\b")
_SPACES = re.compile(r"[ \t]+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([,.;:!?])")
_DOUBLE_PUNCT = re.compile(r"([,;:])\s*([,.;:])")
_DOUBLE_END = re.compile(r"([!?])\s*\.(?!\.)|(?<!\.)\.\s*\.(?!\.)")
_EMPTY_PARENS = re.compile(r"\(\s*[,;]?\s*\)|\[\s*\]")
# A sentence ends at . ! ? and a space before a capital, a digit or a CJK letter (Korean ends
# sentences so), or at 。！？ (the full stops of Chinese and Japanese, written with no space
# after), a closing quote or bracket after them staying with their sentence.
_CJK_STOPS = "。！？"
_CJK_CLOSERS = "」』）"
CJK_SENTENCE_END = (
    rf"(?:(?<=[{_CJK_STOPS}])|(?<=[{_CJK_STOPS}][{_CJK_CLOSERS}]))(?![{_CJK_CLOSERS}])\s*(?=\S)"
)
_SENTENCE_END = re.compile(
    r"""(?<=[.!?])["')\]]*\s+(?=["'(\[]?[A-Z0-9\u3040-\u9fff\uac00-\ud7af])|""" + CJK_SENTENCE_END
)
_ENDS = ".!?" + _CJK_STOPS
_HANGUL = re.compile(r"[\uac00-\ud7af\u1100-\u11ff\u3130-\u318f]")  # Korean ends with "."


def _latex(text: str) -> str:
    text = _LATEX_DROPCMD.sub("", text)
    for _ in range(3):  # nested \text{\textbf{..}}
        text = _LATEX_TEXTCMD.sub(r"\1", text)
    text = _LATEX_FRAC.sub(r"\1 over \2", text)
    text = _LATEX_POWER.sub(r" to the power of \1", text)
    text = _LATEX_SUB.sub(lambda m: " " + (m.group(1) or m.group(2)), text)

    def command(match: re.Match[str]) -> str:
        word = _LATEX_WORDS.get(match.group(1))
        return f" {word} " if word else " "

    text = _LATEX_CMD.sub(command, text)
    return text.replace("{", "").replace("}", "").replace("~", " ")


def _end_line(match: re.Match[str]) -> str:
    """A heading or list item becomes a sentence of its own."""
    line = match.group(1).rstrip()
    return line if not line or line[-1] in _ENDS + ":;,：；，、" else line + "."


def _math(match: re.Match[str]) -> str:
    return " " + _latex(match.group(1)) + " "


def _acronym(match: re.Match[str]) -> str:
    word = match.group(0)
    return ACRONYMS.get(word, word)


def strip_markup(text: str) -> str:
    """Markdown, HTML (entities decoded), tables, LaTeX and URLs out; the words they carried stay.

    What a page would show is what is said: ``&amp;`` is "and", never "amp"; a ``<script>``'s
    code is not shown, so not said; a table's cells are read with pauses, not its pipes.
    """
    text = _HTML_HIDDEN.sub(" ", html.unescape(safe_text(text)))
    text = _TABLE_RULE.sub("", text)
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    text = _HTML_TAG.sub(" ", text)
    text = _MD_CODE.sub(r"\1", text)
    text = _MD_LINE_PREFIX.sub(_end_line, text)
    for _ in range(2):
        text = _MD_EMPHASIS.sub(r"\2", text)
    text = _MD_MARKED.sub(r"\2", text)
    text = _DRAWN_LINE.sub(" ", text)
    text = _TABLE_PIPE.sub(", ", text)
    text = _MATH.sub(_math, text)
    if "\\" in text:
        text = _latex(text)
    text = _PAREN_CITATION.sub("", text)
    return _CITATION.sub("", text)


def _numbers(text: str) -> str:
    text = _THOUSANDS.sub("", text)
    text = _PERCENT.sub(r"\1 percent", text)
    text = _TIMES.sub(r"\1 times", text)
    text = _UNIT.sub(lambda m: f"{m.group(1)} {_UNITS[m.group(2)]}", text)
    text = _MAGNITUDE.sub(lambda m: f"{m.group(1)} {_MAGNITUDES[m.group(2)]}", text)
    return _RANGE.sub(r"\1 to \2", text)


def _tidy(text: str) -> str:
    text = _EMPTY_PARENS.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _DOUBLE_PUNCT.sub(r"\2", text)
    text = _DOUBLE_END.sub(lambda m: m.group(1) or ".", text)
    return text.strip(" ,;:")


def to_spoken(text: str, *, english: bool = True) -> str:
    """One paragraph of written text as words a voice reads right (whitespace collapsed).

    The words papercast puts in ("for example", "percent", "L L M") are English; for a text in
    another language (``english=False``) only what is language-neutral is done: markup, LaTeX,
    URLs and citations out, typographic punctuation simplified. The voice reads the rest in its
    own language.
    """
    text = strip_markup(text)
    for old, new in _SYMBOLS:
        if english or not new.strip(" ,.\"'"):
            text = text.replace(old, new)
    if english:
        for pattern, replacement in _ABBREVIATIONS:
            text = re.sub(pattern, replacement, text, flags=re.IGNORECASE)
        text = _numbers(text)
        text = _SLASH_WORDS.sub(" or ", text)
        text = _WORD.sub(_acronym, text)
    text = " ".join(text.split())
    text = _tidy(text)
    if text and text[-1] not in _ENDS + "\"'」』":
        text += (
            "。" if wide(text[-1]) and text[-1].isalpha() and not _HANGUL.match(text[-1]) else "."
        )
    return text


def split_sentences(text: str) -> list[str]:
    """Sentences of already-spoken text; joining them with :func:`join` gives the text back."""
    parts = [part.strip() for part in _SENTENCE_END.split(text)]
    return [part for part in parts if part]


def join(first: str, second: str) -> str:
    """Two pieces of text as one: a space between them, but none after a Chinese or Japanese
    full stop or comma, which are written without one."""
    if not first or not second:
        return first or second
    return first + ("" if first[-1] in _CJK_STOPS + "、，" + _CJK_CLOSERS else " ") + second


def _hard_split(sentence: str, limit: int) -> Iterator[str]:
    """A sentence longer than ``limit``: cut at commas, then spaces, then anywhere."""
    rest = sentence
    while len(rest) > limit:
        window = rest[: limit + 1]
        cut = max(window.rfind(", "), window.rfind("; "), window.rfind("、"), window.rfind("，"))
        if cut > limit // 2:
            cut += 1  # keep the comma with the first half
        else:
            cut = window.rfind(" ")
            if cut <= 0:
                cut = limit
        yield rest[:cut].strip()
        rest = rest[cut:].strip()
    if rest:
        yield rest


def chunk_text(text: str, limit: int) -> list[str]:
    """Pack whole sentences into chunks of at most ``limit`` characters; nothing is dropped."""
    if limit < 1:
        raise ValueError("limit must be positive")
    chunks: list[str] = []
    current = ""
    for sentence in split_sentences(text):
        for piece in _hard_split(sentence, limit) if len(sentence) > limit else [sentence]:
            candidate = join(current, piece)
            if len(candidate) <= limit:
                current = candidate
            else:
                chunks.append(current)
                current = piece
    if current:
        chunks.append(current)
    return chunks


def word_count(text: str) -> int:
    """Words as speaking time counts them. Two Chinese, Japanese or Korean letters (ideographs,
    kana, Hangul syllables) count as one word: about 300 of them are spoken a minute where
    English speaks 150 words, so one speaking rate and one plan hold for every language."""
    letters = sum(1 for c in text if wide(c) and c.isalpha())
    rest = "".join(" " if wide(c) else c for c in text)
    return len(rest.split()) + (letters + 1) // 2
