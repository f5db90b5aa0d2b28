"""A tiny chat language model for serving engines, built offline from the zoo's tokenizer.

Serving engines need a causal LM with a chat template and an architecture their batching
kernels support (Llama is supported by every engine in docs/serving.md). The zoo's own causal
LMs (GPT-2, BLOOM) carry no chat template, so this module builds a random-weight Llama with the
zoo's trained byte-level BPE tokenizer and a ChatML template. Random weights: it measures the
cost of serving, never answer quality. Used by the ``serving-smoke`` suite and the tests.
"""

from __future__ import annotations

import json
from pathlib import Path

CHATML_TEMPLATE = (
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
"""ChatML, as used by SmolLM2 and Qwen; rendered by the tokenizer's ``apply_chat_template``."""

MARKER = "wattprint_serving_lm.json"

SIZES: dict[str, dict[str, int]] = {
    "tiny": {"hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 2,
             "num_attention_heads": 4, "num_key_value_heads": 2},
    "small": {"hidden_size": 256, "intermediate_size": 688, "num_hidden_layers": 4,
              "num_attention_heads": 8, "num_key_value_heads": 4},
}
"""Model sizes: ``tiny`` for tests (about 0.3 M parameters), ``small`` (about 3.7 M) for the
smoke suite, the size checked in ``docs/serving.md``."""


def build_chat_lm(folder: str | Path, size: str = "tiny", *, seed: int = 0) -> Path:
    """Build (once) a random-weight Llama with a ChatML template into ``folder``.

    Args:
        folder: Target folder; reused when its marker says the same size was built.
        size: A key of :data:`SIZES`.
        seed: Seed of the random weights.

    Returns:
        The folder, ready for ``transformers serve FOLDER`` or ``vllm serve FOLDER``.

    Raises:
        ConfigError: an unknown size.
    """
    from wattprint.errors import unknown_choice

    if size not in SIZES:
        raise unknown_choice("serving model size", size, tuple(SIZES))
    out = Path(folder)
    marker = out / MARKER
    if marker.is_file() and json.loads(marker.read_text()).get("size") == size:
        return out
    import torch
    import transformers

    from wattprint.backends.zoo.tokenizers import train_tokenizer

    tok = train_tokenizer("gpt2", vocab_size=2048, model_max_length=2048)
    tok.add_special_tokens({"additional_special_tokens": ["<|im_start|>", "<|im_end|>"]})
    tok.eos_token = "<|im_end|>"
    tok.pad_token = "<|im_end|>"
    tok.chat_template = CHATML_TEMPLATE
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(vocab_size=len(tok), max_position_embeddings=2048,
                                      **SIZES[size])
    config.bos_token_id = tok.convert_tokens_to_ids("<|im_start|>")
    config.eos_token_id = config.pad_token_id = tok.eos_token_id
    model = transformers.LlamaForCausalLM(config)
    model.generation_config.eos_token_id = tok.eos_token_id
    model.generation_config.pad_token_id = tok.eos_token_id
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    n_params = sum(p.numel() for p in model.parameters())
    marker.write_text(json.dumps({"size": size, "architecture": "LlamaForCausalLM",
                                  "parameters": n_params, "weights": "random (seed %d)" % seed,
                                  "chat_template": "ChatML"}, indent=1))
    return out
