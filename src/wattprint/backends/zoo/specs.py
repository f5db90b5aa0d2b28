"""What the zoo can build: for each task, the real architecture of the study's smallest model.

Every entry builds a randomly initialised model from a config (fixed seed) plus a tokenizer
trained here (:mod:`wattprint.backends.zoo.tokenizers`) or an image processor built in code.
Two sizes:

* ``tiny``: a few hidden units per layer; builds in about a second, runs in milliseconds. For tests.
* ``real-size``: the real model's config dimensions (layers, hidden size, heads, image size and the
  real vocabulary size), so one inference costs the FLOPs of the real checkpoint. The tokenizer stays
  the small one trained here: the embedding matrix and LM head are sized to the real vocabulary
  (``vocab_size`` in the config), the extra rows are simply never fed in. Outputs are meaningless
  (random weights); cost is realistic.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from wattprint.backends.zoo.tokenizers import train_tokenizer

SIZES: tuple[str, ...] = ("tiny", "real-size")

CONLL_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")


@dataclasses.dataclass
class Built:
    """What a builder returns, ready to be saved into one folder.

    Attributes:
        parts: Objects with ``save_pretrained(folder)`` (model, tokenizer, image processor,
            or a diffusers pipeline).
        architecture: Class name of the model (e.g. ``DistilBertForSequenceClassification``).
        notes: Free-form facts recorded in the marker (vocabulary sizes, image size ...).
    """

    parts: list[Any]
    architecture: str
    notes: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class ZooSpec:
    """One buildable zoo model.

    Attributes:
        name: Zoo name, used as ``zoo:<name>[@size]``.
        task: Hugging Face task id it serves (``text-generation`` for zero-shot LMs too).
        study_model: The study's model whose architecture this copies.
        library: ``transformers`` or ``diffusers``.
        build: ``build(size) -> Built``.
        zero_shot: True for the multi-purpose models of the study's zero-shot runs.
        default: The task's default zoo model (one per task).
    """

    name: str
    task: str
    study_model: str
    library: str
    build: Callable[[str], Built]
    zero_shot: bool = False
    default: bool = True


def _image_processor(name: str, **kwargs: Any) -> Any:
    """Build an image processor, using the PIL variant where torchvision is absent (no warning)."""
    import importlib.util

    import transformers

    cls = getattr(transformers, name)
    if importlib.util.find_spec("torchvision") is None and hasattr(transformers, name + "Pil"):
        cls = getattr(transformers, name + "Pil")
    return cls(**kwargs)


def _tok_notes(tok: Any, config_vocab: int) -> dict[str, Any]:
    return {"tokenizer_vocab_size": len(tok), "config_vocab_size": config_vocab}


def _labels(names: tuple[str, ...] | list[str]) -> dict[str, Any]:
    return {"id2label": dict(enumerate(names)), "label2id": {n: i for i, n in enumerate(names)}}


# --- DistilBERT family: text classification, token classification, QA, fill-mask -----------------

def _distilbert(head: str, cased: bool, labels: tuple[str, ...] | None = None) -> Callable[[str], Built]:
    def build(size: str) -> Built:
        import transformers

        tok = train_tokenizer("wordpiece-cased" if cased else "wordpiece-uncased", model_max_length=512)
        real_vocab = 28996 if cased else 30522
        dims = ({} if size == "real-size"   # DistilBertConfig() defaults: dim 768, 6 layers, 12 heads
                else {"dim": 32, "n_layers": 2, "n_heads": 2, "hidden_dim": 64})
        vocab = real_vocab if size == "real-size" else len(tok)
        extra = _labels(labels) if labels else {}
        config = transformers.DistilBertConfig(vocab_size=vocab, pad_token_id=tok.pad_token_id, **dims, **extra)
        model = getattr(transformers, head)(config)
        return Built([model, tok], head, _tok_notes(tok, vocab))
    return build


# --- Decoder-only LMs: distilgpt2, bloomz ---------------------------------------------------------

def _gpt2(size: str) -> Built:
    import transformers

    tok = train_tokenizer("gpt2", model_max_length=1024 if size == "real-size" else 256)
    if size == "real-size":   # distilgpt2: GPT-2 small with 6 layers
        config = transformers.GPT2Config(n_layer=6, vocab_size=50257)
    else:
        config = transformers.GPT2Config(n_embd=32, n_layer=2, n_head=2, n_positions=256, vocab_size=len(tok))
    config.bos_token_id = config.eos_token_id = config.pad_token_id = tok.eos_token_id
    model = transformers.GPT2LMHeadModel(config)
    model.generation_config.pad_token_id = tok.eos_token_id
    return Built([model, tok], "GPT2LMHeadModel", _tok_notes(tok, config.vocab_size))


def _bloom(size: str) -> Built:
    import transformers

    tok = train_tokenizer("bloom", model_max_length=2048)
    if size == "real-size":   # bigscience/bloomz-560m
        config = transformers.BloomConfig(hidden_size=1024, n_layer=24, n_head=16, vocab_size=250880)
    else:
        config = transformers.BloomConfig(hidden_size=32, n_layer=2, n_head=2, vocab_size=len(tok))
    config.bos_token_id, config.eos_token_id, config.pad_token_id = tok.bos_token_id, tok.eos_token_id, tok.pad_token_id
    model = transformers.BloomForCausalLM(config)
    model.generation_config.pad_token_id = tok.pad_token_id
    return Built([model, tok], "BloomForCausalLM", _tok_notes(tok, config.vocab_size))


# --- Seq2seq: BART (summarization), Flan-T5 (zero-shot) -------------------------------------------

def _bart(size: str) -> Built:
    import transformers

    tok = train_tokenizer("bart", model_max_length=1024 if size == "real-size" else 512)
    if size == "real-size":   # facebook/bart-base (ainize/bart-base-cnn)
        dims: dict[str, Any] = {"d_model": 768, "encoder_layers": 6, "decoder_layers": 6,
                                "encoder_attention_heads": 12, "decoder_attention_heads": 12,
                                "encoder_ffn_dim": 3072, "decoder_ffn_dim": 3072,
                                "max_position_embeddings": 1024, "vocab_size": 50265}
    else:
        dims = {"d_model": 32, "encoder_layers": 2, "decoder_layers": 2, "encoder_attention_heads": 2,
                "decoder_attention_heads": 2, "encoder_ffn_dim": 64, "decoder_ffn_dim": 64,
                "max_position_embeddings": 512, "vocab_size": len(tok)}
    config = transformers.BartConfig(
        pad_token_id=tok.pad_token_id, bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id,
        decoder_start_token_id=tok.eos_token_id, forced_bos_token_id=None, forced_eos_token_id=None, **dims)
    model = transformers.BartForConditionalGeneration(config)
    return Built([model, tok], "BartForConditionalGeneration", _tok_notes(tok, config.vocab_size))


def _t5(size: str) -> Built:
    import transformers

    tok = train_tokenizer("t5", model_max_length=512)
    if size == "real-size":   # google/flan-t5-base (T5 v1.1: gated-gelu, untied head)
        dims: dict[str, Any] = {"d_model": 768, "d_kv": 64, "d_ff": 2048, "num_layers": 12,
                                "num_decoder_layers": 12, "num_heads": 12, "vocab_size": 32128}
    else:
        dims = {"d_model": 32, "d_kv": 16, "d_ff": 64, "num_layers": 2, "num_decoder_layers": 2,
                "num_heads": 2, "vocab_size": len(tok)}
    config = transformers.T5Config(
        feed_forward_proj="gated-gelu", tie_word_embeddings=False, pad_token_id=tok.pad_token_id,
        eos_token_id=tok.eos_token_id, decoder_start_token_id=tok.pad_token_id, **dims)
    model = transformers.T5ForConditionalGeneration(config)
    return Built([model, tok], "T5ForConditionalGeneration", _tok_notes(tok, config.vocab_size))


# --- Vision ---------------------------------------------------------------------------------------

def _mobilenet_v1(size: str) -> Built:
    import transformers

    if size == "real-size":   # google/mobilenet_v1_0.75_192, 1001 ImageNet classes
        config = transformers.MobileNetV1Config(depth_multiplier=0.75, image_size=192, num_labels=1001)
        proc = _image_processor("MobileNetV1ImageProcessor", size={"shortest_edge": 219},
                                crop_size={"height": 192, "width": 192})
    else:
        config = transformers.MobileNetV1Config(depth_multiplier=0.25, image_size=64, num_labels=10)
        proc = _image_processor("MobileNetV1ImageProcessor", size={"shortest_edge": 73},
                                crop_size={"height": 64, "width": 64})
    model = transformers.MobileNetV1ForImageClassification(config)
    return Built([model, proc], "MobileNetV1ForImageClassification",
                 {"image_size": config.image_size, "num_labels": config.num_labels})


def _yolos(size: str) -> Built:
    import transformers

    if size == "real-size":   # hustvl/yolos-tiny: DeiT-tiny backbone, 100 detection tokens, 512 px short side
        config = transformers.YolosConfig(hidden_size=192, num_hidden_layers=12, num_attention_heads=3,
                                          intermediate_size=768, image_size=[800, 1333], num_detection_tokens=100,
                                          num_labels=91, use_mid_position_embeddings=False)
        proc = _image_processor("YolosImageProcessor", size={"shortest_edge": 512, "longest_edge": 1333})
    else:
        config = transformers.YolosConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                          intermediate_size=64, image_size=[64, 96], patch_size=16,
                                          num_detection_tokens=10, num_labels=5, use_mid_position_embeddings=False)
        proc = _image_processor("YolosImageProcessor", size={"shortest_edge": 64, "longest_edge": 96})
    model = transformers.YolosForObjectDetection(config)
    return Built([model, proc], "YolosForObjectDetection",
                 {"num_detection_tokens": config.num_detection_tokens, "num_labels": config.num_labels})


def _vit_gpt2(size: str) -> Built:
    import transformers

    tok = train_tokenizer("gpt2", model_max_length=1024 if size == "real-size" else 256)
    if size == "real-size":   # ViT-base/16 at 224 px + GPT-2 small decoder (vit-gpt2 captioners)
        enc = transformers.ViTConfig()
        dec = transformers.GPT2Config(vocab_size=50257, add_cross_attention=True, is_decoder=True)
        proc = _image_processor("ViTImageProcessor", size={"height": 224, "width": 224})
    else:
        enc = transformers.ViTConfig(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                     intermediate_size=64, image_size=32, patch_size=8)
        dec = transformers.GPT2Config(n_embd=32, n_layer=2, n_head=2, n_positions=128, vocab_size=len(tok),
                                      add_cross_attention=True, is_decoder=True)
        proc = _image_processor("ViTImageProcessor", size={"height": 32, "width": 32})
    dec.bos_token_id = dec.eos_token_id = dec.pad_token_id = tok.eos_token_id
    config = transformers.VisionEncoderDecoderConfig.from_encoder_decoder_configs(enc, dec)
    config.decoder_start_token_id = config.pad_token_id = config.eos_token_id = tok.eos_token_id
    model = transformers.VisionEncoderDecoderModel(config=config)
    gc = model.generation_config
    gc.decoder_start_token_id = gc.pad_token_id = gc.eos_token_id = gc.bos_token_id = tok.eos_token_id
    return Built([model, tok, proc], "VisionEncoderDecoderModel", _tok_notes(tok, dec.vocab_size))


def _git(size: str) -> Built:
    import transformers
    from tokenizers import Tokenizer

    wp = train_tokenizer("wordpiece-uncased", model_max_length=512)
    tok = transformers.BertTokenizerFast(tokenizer_object=Tokenizer.from_str(wp.backend_tokenizer.to_str()), unk_token="[UNK]", pad_token="[PAD]",
                                         cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
                                         model_max_length=512)
    ids = {"bos_token_id": tok.cls_token_id, "eos_token_id": tok.sep_token_id, "pad_token_id": tok.pad_token_id}
    if size == "real-size":   # microsoft/git-base: CLIP ViT-B/16 image encoder + 6-layer BERT-base text decoder
        config = transformers.GitConfig(vocab_size=30522, **ids)
        crop = 224
    else:
        config = transformers.GitConfig(
            vision_config={"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
                           "num_attention_heads": 2, "image_size": 32, "patch_size": 8},
            vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
            num_attention_heads=2, max_position_embeddings=128, **ids)
        crop = 32
    proc = _image_processor("CLIPImageProcessor", size={"shortest_edge": crop},
                            crop_size={"height": crop, "width": crop})
    model = transformers.GitForCausalLM(config)
    processor = transformers.GitProcessor(image_processor=proc, tokenizer=tok)
    return Built([model, processor], "GitForCausalLM", _tok_notes(tok, config.vocab_size))


# --- Text to image --------------------------------------------------------------------------------

def _tiny_sd(size: str) -> Built:
    import diffusers
    import transformers

    tok = train_tokenizer("clip", model_max_length=77)
    if size == "real-size":   # segmind/tiny-sd: SD-1.5 distilled UNet (3 blocks, 1 layer each, no mid block)
        unet = diffusers.UNet2DConditionModel(
            sample_size=64, block_out_channels=(320, 640, 1280), layers_per_block=1,
            down_block_types=("CrossAttnDownBlock2D",) * 3, up_block_types=("CrossAttnUpBlock2D",) * 3,
            mid_block_type=None, cross_attention_dim=768, attention_head_dim=8)
        vae = diffusers.AutoencoderKL(
            block_out_channels=(128, 256, 512, 512), down_block_types=("DownEncoderBlock2D",) * 4,
            up_block_types=("UpDecoderBlock2D",) * 4, layers_per_block=2, latent_channels=4, sample_size=512)
        text = transformers.CLIPTextConfig(vocab_size=49408, hidden_size=768, intermediate_size=3072,
                                           num_hidden_layers=12, num_attention_heads=12,
                                           max_position_embeddings=77, projection_dim=768)
    else:
        unet = diffusers.UNet2DConditionModel(
            sample_size=16, block_out_channels=(32, 64), layers_per_block=1,
            down_block_types=("DownBlock2D", "CrossAttnDownBlock2D"),
            up_block_types=("CrossAttnUpBlock2D", "UpBlock2D"), cross_attention_dim=32,
            attention_head_dim=8, norm_num_groups=16)
        vae = diffusers.AutoencoderKL(
            block_out_channels=(16, 32), down_block_types=("DownEncoderBlock2D",) * 2,
            up_block_types=("UpDecoderBlock2D",) * 2, latent_channels=4, norm_num_groups=8, sample_size=64)
        text = transformers.CLIPTextConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64,
                                           num_hidden_layers=2, num_attention_heads=4, max_position_embeddings=77)
    text.bos_token_id, text.eos_token_id, text.pad_token_id = tok.bos_token_id, tok.eos_token_id, tok.pad_token_id
    scheduler = diffusers.PNDMScheduler(beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear",
                                        skip_prk_steps=True, steps_offset=1, set_alpha_to_one=False)
    pipe = diffusers.StableDiffusionPipeline(
        vae=vae, text_encoder=transformers.CLIPTextModel(text), tokenizer=tok, unet=unet, scheduler=scheduler,
        safety_checker=None, feature_extractor=None, requires_safety_checker=False)
    vae_scale = 2 ** (len(vae.config.block_out_channels) - 1)
    return Built([pipe], "StableDiffusionPipeline",
                 {**_tok_notes(tok, text.vocab_size), "default_height": unet.config.sample_size * vae_scale})


SPECS: dict[str, ZooSpec] = {s.name: s for s in (
    ZooSpec("distilbert-sst2", "text-classification", "distilbert-base-uncased-finetuned-sst-2-english",
            "transformers", _distilbert("DistilBertForSequenceClassification", cased=False,
                                        labels=("NEGATIVE", "POSITIVE"))),
    ZooSpec("distilbert-conll03", "token-classification", "elastic/distilbert-base-cased-finetuned-conll03-english",
            "transformers", _distilbert("DistilBertForTokenClassification", cased=True, labels=CONLL_TAGS)),
    ZooSpec("distilbert-squad", "question-answering", "distilbert-base-cased-distilled-squad",
            "transformers", _distilbert("DistilBertForQuestionAnswering", cased=True)),
    ZooSpec("distilbert-mlm", "fill-mask", "distilbert-base-uncased",
            "transformers", _distilbert("DistilBertForMaskedLM", cased=False)),
    ZooSpec("distilgpt2", "text-generation", "distilgpt2", "transformers", _gpt2),
    ZooSpec("bart-base-cnn", "summarization", "ainize/bart-base-cnn", "transformers", _bart),
    ZooSpec("mobilenet-v1", "image-classification", "google/mobilenet_v1_0.75_192", "transformers", _mobilenet_v1),
    ZooSpec("yolos-tiny", "object-detection", "hustvl/yolos-tiny", "transformers", _yolos),
    ZooSpec("vit-gpt2", "image-to-text", "ydshieh/vit-gpt2-coco-en", "transformers", _vit_gpt2),
    ZooSpec("git-base", "image-to-text", "microsoft/git-base", "transformers", _git, default=False),
    ZooSpec("tiny-sd", "text-to-image", "segmind/tiny-sd", "diffusers", _tiny_sd),
    ZooSpec("flan-t5", "summarization", "google/flan-t5-base", "transformers", _t5, zero_shot=True, default=False),
    ZooSpec("bloomz", "text-generation", "bigscience/bloomz-560m", "transformers", _bloom, zero_shot=True,
            default=False),
)}
"""Every zoo model by name."""
