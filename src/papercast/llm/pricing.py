"""Token costs: the [llm] prices table (USD per million input/output tokens)."""

from __future__ import annotations

import math

from papercast.config import LLMConfig

CHARS_PER_TOKEN = 4  # a rough, conservative rule for English prose (no tokenizer dependency)
TYPICAL_OUTPUT_TOKENS = 700


def estimate_tokens(text: str) -> int:
    return max(1, math.ceil(len(text) / CHARS_PER_TOKEN))


def price_for(config: LLMConfig, model: str) -> tuple[float, float] | None:
    """(input, output) USD per million tokens; longest matching prefix for dated names."""
    if model in config.prices:
        return config.prices[model]
    matches = [name for name in config.prices if model.startswith(name)]
    return config.prices[max(matches, key=len)] if matches else None


def cost_usd(
    config: LLMConfig, model: str, input_tokens: int, output_tokens: int, *, batch: bool = False
) -> float:
    """Cost of one call; 0 for models without a price (local servers)."""
    price = price_for(config, model)
    if price is None:
        return 0.0
    cost = (input_tokens * price[0] + output_tokens * price[1]) / 1_000_000
    return cost * config.batch_discount if batch else cost


class Budget:
    """A run's spending limit (None: no limit): reserve a call's worst-case cost before it
    starts, settle with the real cost after; ``stopped`` once a reservation was refused."""

    def __init__(self, limit: float | None) -> None:
        self.limit = limit
        self.spent = 0.0
        self.reserved = 0.0
        self.stopped = False

    def reserve(self, amount: float) -> bool:
        if self.limit is not None and self.spent + self.reserved + amount > self.limit + 1e-12:
            self.stopped = True
            return False
        self.reserved += amount
        return True

    def settle(self, reserved: float, actual: float) -> None:
        self.reserved -= reserved
        self.spent += actual
