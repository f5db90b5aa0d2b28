"""Every transformers task end to end on the tiny zoo, offline; local folders; wrong models; zero-shot."""

import pytest
import transformers

from wattprint.backends import load_backend
from wattprint.backends.transformers import TransformersBackend
from wattprint.backends.zoo import DEFAULT_ZOO_MODELS, build
from wattprint.errors import BackendError, ConfigError, TaskError
from wattprint.tasks.base import Example, Prediction

TEXT_TASKS = ["text-classification", "token-classification", "question-answering", "fill-mask"]
GENERATIVE = ["text-generation", "summarization", "image-to-text"]


def _loaded(task, zoo_cache, **settings):
    backend = load_backend(task, DEFAULT_ZOO_MODELS[task], zoo_cache_dir=zoo_cache, **settings)
    info = backend.load()
    return backend, info


@pytest.mark.parametrize("task", TEXT_TASKS + ["image-classification", "object-detection"])
def test_non_generative_tasks_end_to_end(task, zoo_cache, examples):
    backend, info = _loaded(task, zoo_cache, **({"detection_threshold": 0.0} if task == "object-detection" else {}))
    assert info.weights == "random" and info.backend == "transformers" and info.revision is None
    assert info.model == DEFAULT_ZOO_MODELS[task] and info.dtype == "float32" and info.device == "cpu"
    assert info.extra["zoo"]["task"] == task
    preds = [backend.infer(ex) for ex in examples[task]]
    assert len(preds) == 2 and all(isinstance(p, Prediction) and p.work_units == 1.0 for p in preds)
    for ex, p in zip(examples[task], preds):
        out = p.output
        if task in ("text-classification", "image-classification"):
            assert out in backend._loaded.model.config.id2label.values()
        elif task == "token-classification":
            assert [w for w, _ in out] == ex.inputs.split()
            assert {t for _, t in out} <= set(backend._loaded.model.config.id2label.values())
        elif task == "question-answering":
            assert isinstance(out, str) and out in ex.inputs["context"]
        elif task == "fill-mask":
            assert isinstance(out, str) and "[MASK]" not in out
        else:
            assert isinstance(out, list) and out, "threshold 0 keeps every detection token's box"
            for det in out:
                assert set(det) == {"label", "score", "box"} and 0.0 <= det["score"] <= 1.0
                box = det["box"]
                assert set(box) == {"xmin", "ymin", "xmax", "ymax"}
                assert -1 <= box["xmin"] <= box["xmax"] <= 641 and -1 <= box["ymin"] <= box["ymax"] <= 481
    backend.sync()
    backend.unload()
    with pytest.raises(BackendError, match="before load"):
        backend.infer(examples[task][0])


@pytest.mark.parametrize("task", GENERATIVE)
def test_generative_tasks_generate_exactly_the_fixed_length(task, zoo_cache, examples):
    backend, info = _loaded(task, zoo_cache, generation={"max_new_tokens": 7})
    assert info.extra["generation"]["min_new_tokens"] == 7
    for ex in examples[task]:
        p = backend.infer(ex)
        assert isinstance(p.output, str)
        assert p.output_tokens == 7 and p.work_units == 7.0
        if task != "image-to-text":
            assert p.output != ex.inputs and p.input_tokens > 0   # the new text only, never the prompt


def test_generation_count_is_real_when_the_length_is_not_fixed(zoo_cache, examples):
    folder = build("distilgpt2", "tiny", zoo_cache)
    eos = transformers.AutoConfig.from_pretrained(str(folder)).eos_token_id
    vocab = len(transformers.AutoTokenizer.from_pretrained(str(folder)))
    # Suppress every token but end-of-sequence: the model stops after one step, and the count says 1.
    others = [i for i in range(vocab) if i != eos]
    backend, _ = _loaded("text-generation", zoo_cache,
                         generation={"max_new_tokens": 5, "fixed_length": False, "suppress_tokens": others})
    p = backend.infer(examples["text-generation"][0])
    assert p.output_tokens == 1 and p.output == "" and p.work_units == 1.0


def test_batches_match_single_inference(zoo_cache, examples):
    backend, info = _loaded("text-classification", zoo_cache, batch_size=2)
    assert info.extra["batch_size"] == 2
    batch = backend.infer_batch(examples["text-classification"])
    single = [backend.infer(ex) for ex in examples["text-classification"]]
    assert [p.output for p in batch] == [p.output for p in single]
    gen, _ = _loaded("text-generation", zoo_cache, batch_size=2, generation={"max_new_tokens": 3})
    assert [p.output_tokens for p in gen.infer_batch(examples["text-generation"])] == [3, 3]


def test_parameter_count_and_dtype(zoo_cache):
    backend, info = _loaded("fill-mask", zoo_cache, dtype="bfloat16")
    reference = transformers.AutoModelForMaskedLM.from_pretrained(str(build("distilbert-mlm", "tiny", zoo_cache)))
    assert info.parameters == sum(p.numel() for p in reference.parameters())
    assert info.dtype == "bfloat16"


@pytest.fixture
def local_classifier(tmp_path, zoo_cache):
    """A checkpoint folder saved by the user (no zoo marker): counts as pretrained."""
    zoo_folder = build("distilbert-sst2", "tiny", zoo_cache)
    model = transformers.AutoModelForSequenceClassification.from_pretrained(str(zoo_folder))
    tok = transformers.AutoTokenizer.from_pretrained(str(zoo_folder))
    folder = tmp_path / "my-classifier"
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


def test_local_checkpoint_folder(local_classifier, examples):
    backend = load_backend("text-classification", str(local_classifier))
    assert isinstance(backend, TransformersBackend)
    info = backend.load()
    assert info.weights == "pretrained" and info.model == str(local_classifier)
    assert info.extra["architecture"] == "DistilBertForSequenceClassification" and "zoo" not in info.extra
    assert backend.infer(examples["text-classification"][0]).output in ("NEGATIVE", "POSITIVE")


def test_a_model_that_does_not_fit_the_task_is_refused(tmp_path, zoo_cache, local_classifier):
    gpt2 = build("distilgpt2", "tiny", zoo_cache)
    with pytest.raises(TaskError, match=r"is a GPT2LMHeadModel which cannot do question-answering.*valid heads:"):
        load_backend("question-answering", str(gpt2))
    with pytest.raises(TaskError, match="zoo:distilgpt2@tiny is a distilgpt2-architecture zoo model for "
                                        "text-generation, which cannot do fill-mask"):
        load_backend("fill-mask", "zoo:distilgpt2@tiny")
    with pytest.raises(TaskError, match="DistilBertForSequenceClassification which cannot do summarization"):
        load_backend("summarization", str(local_classifier))
    with pytest.raises(BackendError, match="does not exist"):
        load_backend("text-classification", str(tmp_path / "nowhere"))


def test_bad_inputs_and_settings(zoo_cache, examples):
    backend, _ = _loaded("fill-mask", zoo_cache)
    with pytest.raises(TaskError, match=r"no \[MASK\] placeholder"):
        backend.infer(Example("nothing to fill here"))
    qa, _ = _loaded("question-answering", zoo_cache)
    with pytest.raises(TaskError, match="question"):
        qa.infer(Example("just a string"))
    with pytest.raises(ConfigError, match="generation settings do not apply"):
        _loaded("text-classification", zoo_cache, generation={"max_new_tokens": 3})
    with pytest.raises(ConfigError, match="unknown dtype"):
        load_backend("text-classification", DEFAULT_ZOO_MODELS["text-classification"], dtype="float8")


def _prompt(task_id, example, family):
    calls.append((task_id, family))
    if task_id == "question-answering":
        return f"{example.inputs['question']} Find the answer in: {example.inputs['context']} Answer:"
    return f"{task_id}: {example.inputs}"


calls: list[tuple[str, str]] = []


@pytest.mark.parametrize("model,family", [("zoo:flan-t5@tiny", "seq2seq"), ("zoo:bloomz@tiny", "causal")])
@pytest.mark.parametrize("task", ["text-classification", "question-answering", "summarization"])
def test_zero_shot_mode(model, family, task, zoo_cache, examples):
    calls.clear()
    backend = load_backend(task, model, mode="zero-shot", zoo_cache_dir=zoo_cache, prompt_fn=_prompt,
                           parse_fn=lambda t, text: ("parsed", text))
    info = backend.load()
    assert info.extra["zero_shot_family"] == family and info.weights == "random"
    preds = [backend.infer(ex) for ex in examples[task]]
    assert calls == [(task, family)] * 2
    expected_tokens = {"text-classification": 1, "question-answering": 2, "summarization": 12}[task]
    for p in preds:
        assert p.output[0] == "parsed" and isinstance(p.output[1], str)
        assert p.output_tokens == expected_tokens
        assert p.work_units == (expected_tokens if task == "summarization" else 1.0)


def test_zero_shot_needs_a_language_model(zoo_cache):
    with pytest.raises(TaskError, match="cannot run text-classification zero-shot"):
        load_backend("text-classification", str(build("distilbert-sst2", "tiny", zoo_cache)), mode="zero-shot").load()
    with pytest.raises(ConfigError, match="unknown mode"):
        load_backend("text-classification", "zoo:flan-t5", mode="zeroshot")


def test_blip_captioner_folder_counts_generated_steps(tmp_path, examples):
    """BLIP (an image-text-to-text model, not encoder-decoder): counted from generate's steps."""
    from wattprint.backends.zoo.tokenizers import train_tokenizer

    wp = train_tokenizer("wordpiece-uncased")
    tok = transformers.BertTokenizerFast(tokenizer_object=wp._tokenizer, unk_token="[UNK]", pad_token="[PAD]",
                                         cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    text = {"vocab_size": len(tok), "hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
            "num_attention_heads": 2, "bos_token_id": tok.cls_token_id, "pad_token_id": tok.pad_token_id,
            "sep_token_id": tok.sep_token_id, "eos_token_id": tok.sep_token_id}
    vision = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2,
              "image_size": 32, "patch_size": 8}
    model = transformers.BlipForConditionalGeneration(
        transformers.BlipConfig(text_config=text, vision_config=vision, projection_dim=32))
    image_proc = getattr(transformers, "BlipImageProcessorPil", transformers.BlipImageProcessor)(
        size={"height": 32, "width": 32})
    folder = tmp_path / "blip"
    model.save_pretrained(folder)
    transformers.BlipProcessor(image_processor=image_proc, tokenizer=tok).save_pretrained(folder)
    backend = load_backend("image-to-text", str(folder), generation={"max_new_tokens": 5}, batch_size=2)
    info = backend.load()
    assert info.extra["architecture"] == "BlipForConditionalGeneration" and info.weights == "pretrained"
    preds = backend.infer_batch(examples["image-to-text"])
    assert [p.output_tokens for p in preds] == [5, 5] and all(isinstance(p.output, str) for p in preds)


def test_git_captioner_from_the_zoo(zoo_cache, examples):
    """GIT (microsoft/git-base's architecture), the study's lowest-energy captioner: a causal image-text model."""
    backend = load_backend("image-to-text", "zoo:git-base", zoo_cache_dir=zoo_cache, generation={"max_new_tokens": 4},
                           batch_size=2)
    info = backend.load()
    assert info.extra["architecture"] == "GitForCausalLM" and info.weights == "random"
    assert [p.output_tokens for p in backend.infer_batch(examples["image-to-text"])] == [4, 4]


@pytest.mark.gpu
@pytest.mark.parametrize("task", ["text-classification", "text-generation", "image-to-text"])
def test_on_cuda_in_half_precision(task, zoo_cache, examples):
    backend, info = _loaded(task, zoo_cache, device="cuda", dtype="float16")
    assert info.device == "cuda" and info.dtype == "float16"
    backend.sync()
    p = backend.infer(examples[task][0])
    backend.sync()
    if task != "text-classification":
        assert p.output_tokens == {"text-generation": 10, "image-to-text": 20}[task]


def test_hub_id_from_the_hub_cache_records_its_commit(tmp_path, zoo_cache, examples):
    """A hub id read offline from a Hugging Face cache (same layout the hub client writes)."""
    import shutil

    commit = "0123456789abcdef0123456789abcdef01234567"
    repo = tmp_path / "hub" / "models--someone--tiny-sst2"
    snapshot = repo / "snapshots" / commit
    shutil.copytree(build("distilbert-sst2", "tiny", zoo_cache), snapshot)
    (snapshot / "wattprint_zoo.json").unlink()   # a real hub checkpoint carries no zoo marker
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    backend = load_backend("text-classification", "someone/tiny-sst2", cache_dir=tmp_path / "hub",
                           local_files_only=True)
    info = backend.load()
    assert info.model == "someone/tiny-sst2" and info.revision == commit and info.weights == "pretrained"
    assert backend.infer(examples["text-classification"][0]).output in ("NEGATIVE", "POSITIVE")


def test_inference_failures_name_the_model(zoo_cache, examples):
    backend, _ = _loaded("text-classification", zoo_cache)

    def broken(**kwargs):
        raise RuntimeError("CUDA out of memory (simulated)")
    backend._loaded.model.forward = broken
    with pytest.raises(BackendError, match=r"model zoo:distilbert-sst2@tiny failed on text-classification: "
                                           r"RuntimeError: CUDA out of memory \(simulated\)"):
        backend.infer(examples["text-classification"][0])
