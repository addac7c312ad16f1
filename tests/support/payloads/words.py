"""Word lists and a seeded writer of plausible paper titles, abstracts and author names.

Everything here is deterministic for a given ``random.Random``; nothing is drawn from the
network. The lists are tuples (immutable), so importing the module creates no mutable state.
"""

from __future__ import annotations

import random

# fmt: off
FIRST_NAMES = (
    "Alice", "Bo", "Chen", "Daniela", "Emeka", "Fatima", "Gustavo", "Hana", "Ivan", "Jun",
    "Kavya", "Lars", "Mei", "Nikolai", "Olga", "Priya", "Quentin", "Rania", "Sebastián", "Tomás",
    "Uma", "Viktor", "Wen", "Xavier", "Yuki", "Zainab", "Amir", "Beatriz", "Carlos", "Dilnoza",
    "Erik", "Farah", "Giulia", "Hiroshi", "Ines", "Jakob", "Kwame", "Lucía", "Mateo", "Nadia",
)
LAST_NAMES = (
    "Abe", "Bauer", "Castillo", "Dubois", "Eriksson", "Fernández", "Gupta", "Haddad", "Ivanova",
    "Jensen", "Kim", "Li", "Müller", "Nakamura", "Okafor", "Petrov", "Qureshi", "Rossi", "Singh",
    "Tanaka", "Urbanski", "Varga", "Wang", "Xu", "Yilmaz", "Zhang", "Andersson", "Brown", "Costa",
    "Das", "Evans", "Fischer", "García", "Horvat", "Iyer", "Jovanović", "Kowalski", "Liu",
    "Moreau", "Nguyen",
)
AFFILIATIONS = (
    "University of Toronto", "ETH Zurich", "Tsinghua University", "University of Oxford",
    "Carnegie Mellon University", "Max Planck Institute for Intelligent Systems",
    "University of Tokyo", "KAIST", "EPFL", "University of Cape Town",
    "Mila - Quebec AI Institute", "Sorbonne Université", "Indian Institute of Science",
    "University of Edinburgh",
)
METHOD_PREFIXES = (
    "Sparse", "Hyper", "Meta", "Flash", "Graph", "Turbo", "Omni", "Deep", "Quant", "Lite",
    "Neuro", "Auto", "Dyna", "Poly", "Mono", "Proto", "Hydra", "Echo", "Ortho", "Tensor",
)
METHOD_SUFFIXES = (
    "Former", "Net", "Mixer", "RAG", "Align", "Bench", "Diff", "Scale", "Prune", "Route", "Tune",
    "Gate", "Flow", "Attn", "Mamba", "Probe", "Loop", "Merge", "Distill", "Cache",
)
ADJECTIVES = (
    "efficient", "scalable", "robust", "interpretable", "provably convergent", "data-efficient",
    "lightweight", "adaptive", "calibrated", "compositional", "parameter-efficient", "sparse",
)
NOUNS = (
    "attention mechanism", "state space model", "mixture of experts", "reward model",
    "retrieval pipeline", "tokenizer", "optimizer", "diffusion model", "graph neural network",
    "language model", "vision transformer", "policy gradient method", "kernel method",
    "positional encoding", "speculative decoder", "sparse autoencoder",
)
TASKS = (
    "long-context reasoning", "code generation", "machine translation", "protein design",
    "time-series forecasting", "instruction following", "mathematical reasoning",
    "tabular classification", "speech recognition", "molecular property prediction",
    "open-domain question answering", "continual learning", "offline reinforcement learning",
    "weather forecasting", "hallucination detection", "federated learning",
)
BENCHMARKS = (
    "GSM8K", "MMLU", "HumanEval", "ImageNet-1K", "LongBench", "WMT22", "MATH", "ARC-Challenge",
    "HellaSwag", "TruthfulQA", "BIG-Bench Hard", "LibriSpeech", "OGB-MolHIV", "D4RL",
)
COMMENTS = (
    "Accepted at NeurIPS 2024", "Preprint. Under review", "12 pages, 5 figures",
    "Code available at https://github.com/example/repo", "EMNLP 2024 Findings",
    "9 pages, 4 figures, 3 tables", "Work in progress", "Accepted to WACV 2025",
)
TITLE_PATTERNS = (
    "{method}: {Adj} {noun}s for {task}", "Towards {adj} {task} with {noun}s",
    "On the {property} of {noun}s in {task}", "{method}: Scaling {noun}s to {task}",
    "When Do {Noun}s Help {Task}? An Empirical Study", "Rethinking {noun}s for {task}",
    "{method}: A Benchmark for {Task}", "Learning to Route: {Adj} {noun}s for {task}",
)
PROPERTIES = (
    "robustness", "sample complexity", "expressivity", "calibration", "scaling behaviour",
    "generalization", "stability", "memorization",
)
# fmt: on


def _cap(text: str) -> str:
    return " ".join(word[:1].upper() + word[1:] for word in text.split(" "))


def method_name(rng: random.Random) -> str:
    return rng.choice(METHOD_PREFIXES) + rng.choice(METHOD_SUFFIXES)


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def people(rng: random.Random, low: int = 1, high: int = 9) -> list[str]:
    names: list[str] = []
    for _ in range(rng.randint(low, high)):
        name = person(rng)
        if name not in names:
            names.append(name)
    return names


def title(rng: random.Random, method: str) -> str:
    noun, task, adj = rng.choice(NOUNS), rng.choice(TASKS), rng.choice(ADJECTIVES)
    text = rng.choice(TITLE_PATTERNS).format(
        method=method,
        adj=adj,
        Adj=_cap(adj),
        noun=noun,
        Noun=_cap(noun),
        task=task,
        Task=_cap(task),
        property=rng.choice(PROPERTIES),
    )
    return text[:1].upper() + text[1:]


def abstract(rng: random.Random, method: str) -> str:
    """Six to nine sentences (roughly 150-250 words) with concrete, checkable numbers."""
    noun, task, adj = rng.choice(NOUNS), rng.choice(TASKS), rng.choice(ADJECTIVES)
    bench, bench2 = rng.sample(BENCHMARKS, 2)
    gain = rng.randint(2, 19) + rng.randint(0, 9) / 10
    speed = rng.randint(12, 60) / 10
    params = rng.choice(("125M", "350M", "1.3B", "7B", "13B", "70B"))
    sentences = [
        f"{_cap(noun)}s have become a standard tool for {task}, yet they remain costly to "
        f"train and hard to analyse.",
        "Existing approaches either sacrifice accuracy for speed or require expensive "
        "retraining whenever the data distribution shifts.",
        f"We introduce {method}, a {adj} {noun} that combines a learned routing rule with a "
        f"simple closed-form update.",
        f"We prove that {method} converges at the same rate as full fine-tuning under standard "
        f"smoothness assumptions.",
        f"Across {rng.randint(3, 12)} datasets and models of up to {params} parameters, "
        f"{method} improves accuracy on {bench} by {gain} points and runs {speed}x faster at "
        f"inference.",
        f"On {bench2}, it matches the strongest baseline while using {rng.randint(20, 70)}% "
        f"fewer training tokens.",
    ]
    extras = [
        "Ablations show that the routing rule accounts for most of the gain.",
        f"We also find that {method} is markedly less sensitive to the learning rate than "
        f"prior {noun}s.",
        f"Our analysis reveals a failure mode of current {noun}s on inputs longer than "
        f"{rng.choice((4, 8, 16, 32, 128))}k tokens.",
        "Code and checkpoints will be released.",
    ]
    rng.shuffle(extras)
    sentences.extend(extras[: rng.randint(0, 3)])
    return " ".join(sentences)
