import pytest
import transformers

from wattprint.backends.heads import check_fits, zero_shot_family
from wattprint.errors import TaskError


def _config(cls_name: str, arch: str | None, **kw):
    cfg = getattr(transformers, cls_name)(**kw)
    cfg.architectures = [arch] if arch else None
    return cfg


def test_fitting_heads_return_the_class_to_load():
    assert check_fits("text-classification", "m", _config("DistilBertConfig", "DistilBertForSequenceClassification")) \
        == "DistilBertForSequenceClassification"
    assert check_fits("image-to-text", "m", _config("VisionEncoderDecoderConfig", "VisionEncoderDecoderModel",
                                                    encoder={"model_type": "vit"}, decoder={"model_type": "gpt2"})) \
        == "VisionEncoderDecoderModel"


def test_architecture_without_the_task_head_is_refused_naming_both():
    cfg = _config("GPT2Config", "GPT2LMHeadModel")
    with pytest.raises(TaskError, match=r"model m is a GPT2LMHeadModel which cannot do token-classification"):
        check_fits("token-classification", "m", cfg)
    # explicitly allowed: GPT-2 has a token-classification head class, initialised at random
    assert check_fits("token-classification", "m", cfg, allow_new_head=True) == "GPT2ForTokenClassification"


def test_model_type_without_any_head_for_the_task():
    with pytest.raises(TaskError, match="cannot do object-detection; valid heads: .*DetrForObjectDetection"):
        check_fits("object-detection", "m", _config("GPT2Config", "GPT2LMHeadModel"))


def test_zero_shot_families():
    assert zero_shot_family(_config("T5Config", "T5ForConditionalGeneration")) == "seq2seq"
    assert zero_shot_family(_config("BloomConfig", "BloomForCausalLM")) == "causal"
    with pytest.raises(TaskError, match="cannot run text-classification zero-shot"):
        check_fits("text-classification", "m", _config("ViTConfig", "ViTModel"), mode="zero-shot")
    with pytest.raises(TaskError, match="zero-shot mode runs"):
        check_fits("fill-mask", "m", _config("T5Config", "T5ForConditionalGeneration"), mode="zero-shot")
