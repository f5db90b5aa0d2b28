"""wattprint.tasks: the study's ten tasks — inputs, recipes, work units, quality.

Public API:

* :mod:`wattprint.tasks.registry` — ``get_task``, ``list_tasks``, ``register_task``.
* :mod:`wattprint.tasks.inputs` — ``load_examples``
  from ``builtin``, the study's Hub datasets, ``hf:<id>``, or local files.
* :mod:`wattprint.tasks.zeroshot` — the study's zero-shot prompts and answer parsing.
* :mod:`wattprint.tasks.study_models`, :mod:`.study_datasets`, :mod:`.study` — the study's
  88 models, 30 dataset recipes and 312-job grid as data.

What a backend receives (``Example.inputs``) and what ``Task.score`` reads back from
``Prediction.output``, per task (a list of candidates is read top-first):

=====================  ===========================================  =====================================
task                   Example.inputs                               Prediction.output
=====================  ===========================================  =====================================
text-classification    text                                         label: ``"POSITIVE"``, ``"LABEL_1"``,
                                                                    class id, or ``{"label", "score"}``
token-classification   text (tokens joined by spaces)               one IOB tag per token, or entities
                                                                    ``{"entity_group"|"entity", "start",
                                                                    "end"}`` (char offsets in inputs)
question-answering     ``{"question", "context"}``                  answer text or ``{"answer", ...}``
fill-mask              text with one ``"[MASK]"`` (``meta["mask"]``;  token string or ``{"token_str"}``
                       swap in the tokenizer's mask token)
text-generation        the first 20 words                           generated text (not scored)
summarization          the whole text                               summary text or ``{"summary_text"}``
image-classification   PIL RGB 640×480                              label (as text-classification)
object-detection       PIL RGB 640×480                              ``[{"label", "score", "box":
                                                                    {"xmin","ymin","xmax","ymax"}}]``
                                                                    in pixels of the 640×480 input
image-to-text          PIL RGB 640×480                              caption or ``{"generated_text"}``
text-to-image          prompt (first 50 words)                      the image (not scored)
=====================  ===========================================  =====================================

Generation settings a backend applies unless a run overrides them: ``Task.default_generation``.
"""
